import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openBroker } from '../../adapters/broker/index.js';
import { openReviewStore } from '../../adapters/review-store/index.js';
import { IntentOpsError } from '../../core/errors.js';
import type { Broker } from '../../ports/broker.js';
import type { ReviewStore } from '../../ports/review-store.js';
import { consumerBacklog, deleteTopology, NATS_URL, natsClient, produce, readSubject, uniqueTopology, type NatsTopology } from '../../../test/contract/broker.nats.js';
import { CONFIDENT, sampleModel, UNSURE } from '../../../test/helpers/serving.js';
import { ClassifyResultSchema } from '../http/schemas.js';
import { loadConfig } from '../config.js';
import { openModel } from '../container/index.js';
import { ClassifyService } from '../classify/service.js';
import type { IntentModel } from '../classify/model.js';
import { DLQ_HEADERS, Worker, type WorkerOptions } from './worker.js';

/** The real review store, failing its first `failures` adds as an unreachable database would. */
function flaky(store: ReviewStore, failures: number): ReviewStore & { calls: number } {
  const s = Object.create(store) as ReviewStore & { calls: number };
  s.calls = 0;
  s.add = async (item) => {
    if (s.calls++ < failures) throw new IntentOpsError('unavailable', 'review store unreachable');
    return store.add(item);
  };
  return s;
}

describe('Worker over real NATS JetStream and the sample model', () => {
  let client: { nc: NatsConnection; jsm: JetStreamManager };
  let model: IntentModel;
  const made: NatsTopology[] = [];
  const open: { close(): Promise<void> }[] = [];
  beforeAll(async () => {
    client = await natsClient();
    model = await openModel(await sampleModel(), loadConfig({ env: {} }));
  });
  afterEach(async () => {
    for (const x of open.splice(0).reverse()) await x.close();
  });
  afterAll(async () => {
    for (const t of made) await deleteTopology(client.jsm, t);
    await client.nc.close();
  });

  async function setup(review?: ReviewStore, o: WorkerOptions = {}, t = uniqueTopology()) {
    made.push(t);
    const broker: Broker = await openBroker(NATS_URL, { ...t, maxInFlight: 32 });
    open.push(broker);
    const classify = new ClassifyService({ model: () => model, review });
    const worker = new Worker({ broker, classify, log: process.env.DBG ? { info: console.log, warn: console.log, debug: console.log } : undefined }, { batchSize: 8, concurrency: 32, waitMs: 200, retryBaseMs: 50, retryMaxMs: 200, ...o });
    const out = () => readSubject(client.nc, client.jsm, `${t.stream}_OUT`, t.out);
    const dlq = () => readSubject(client.nc, client.jsm, `${t.stream}_OUT`, t.dlq);
    /** Runs the worker until `done` holds, then stops it gracefully. */
    const runUntil = async (done: () => Promise<boolean>) => {
      const ctl = new AbortController();
      const running = worker.run(ctl.signal);
      for (let i = 0; i < 300 && !(await done()); i++) await new Promise((r) => setTimeout(r, 100));
      ctl.abort();
      return running;
    };
    /** Acks and terms are sent without waiting: poll until the server has them all. */
    const backlog = async () => {
      let b = await consumerBacklog(client.jsm, t);
      for (let i = 0; i < 50 && (b.pending || b.unacked); i++) {
        await new Promise((r) => setTimeout(r, 100));
        b = await consumerBacklog(client.jsm, t);
      }
      return b;
    };
    return { t, broker, worker, out, dlq, runUntil, backlog, produce: (xs: unknown[]) => produce(client.nc, t.in, xs.map((x) => (typeof x === 'string' ? x : JSON.stringify(x)))) };
  }

  it('publishes one result per message under its id (with its metadata), acks it, and stops gracefully', async () => {
    const s = await setup();
    const msgs = Array.from({ length: 40 }, (_, i) => ({ id: `m-${i}`, text: i % 2 ? CONFIDENT : 'I was charged twice for my order', ...(i === 3 ? { metadata: { channel: 'chat' } } : {}) }));
    await s.produce(msgs);
    const stats = await s.runUntil(async () => (await s.out()).length >= 40);
    const results = (await s.out()).map((m) => ClassifyResultSchema.parse(JSON.parse(m.data)));
    expect(results.map((r) => r.id).sort()).toEqual(msgs.map((m) => m.id).sort());
    expect(results.find((r) => r.id === 'm-1')).toMatchObject({ intent: 'delivery', route: 'accepted' });
    expect(JSON.parse((await s.out()).find((m) => JSON.parse(m.data).id === 'm-3')!.data).metadata).toEqual({ channel: 'chat' });
    expect(stats).toMatchObject({ received: 40, published: 40, duplicates: 0, deadLettered: 0 });
    expect(await s.dlq()).toEqual([]);
    expect(await s.backlog()).toEqual({ pending: 0, unacked: 0 });
  });

  it('dead-letters poison messages with the reason in headers, and still classifies the good ones of the batch', async () => {
    const s = await setup(undefined, { maxTextLength: 200 });
    await s.produce(['{"id":"p-json", "text": ', { text: 'no id here' }, { id: 'p-empty', text: '   ' }, { id: 'p-long', text: 'x'.repeat(201) }, { id: 'p-field', text: 'hi', lang: 'de' }, { id: 'ok-1', text: CONFIDENT }, { id: 'ok-2', text: CONFIDENT }]);
    await produce(client.nc, s.t.in, [new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])]);
    const stats = await s.runUntil(async () => (await s.dlq()).length >= 6 && (await s.out()).length >= 2);
    expect((await s.out()).map((m) => JSON.parse(m.data).id).sort()).toEqual(['ok-1', 'ok-2']);
    const dead = await s.dlq();
    const reasons = Object.fromEntries(dead.map((m) => [m.headers[DLQ_HEADERS.id] ?? m.data.slice(0, 8), m.headers[DLQ_HEADERS.reason]]));
    expect(reasons['p-empty']).toMatch(/^text: must not be only whitespace/);
    expect(reasons['p-long']).toMatch(/^text: is 201 characters; the limit is 200/);
    expect(reasons['p-field']).toMatch(/lang/);
    expect(dead.find((m) => m.data === '{"text":"no id here"}')!.headers[DLQ_HEADERS.reason]).toMatch(/^id: required/);
    expect(dead.find((m) => m.data.startsWith('{"id":"p-json"'))!.headers[DLQ_HEADERS.reason]).toMatch(/^invalid JSON/);
    expect(dead.some((m) => m.headers[DLQ_HEADERS.reason] === 'the message is not valid UTF-8')).toBe(true);
    for (const m of dead) {
      expect(m.headers[DLQ_HEADERS.error]).toBe('invalid_input');
      expect(m.headers[DLQ_HEADERS.ref]).toMatch(new RegExp(`^${s.t.stream}:\\d+$`));
      expect(m.headers[DLQ_HEADERS.attempts]).toBe('1');
    }
    expect(stats).toMatchObject({ received: 8, published: 2, deadLettered: 6, retried: 0 });
    expect(await s.backlog()).toEqual({ pending: 0, unacked: 0 });
  });

  it('retries with backoff while the review store is down, then publishes each message exactly once', async () => {
    const review = flaky(await openReviewStore('sqlite::memory:'), 3);
    open.push(review);
    const s = await setup(review);
    await s.produce([{ id: 'u-1', text: UNSURE }, { id: 'c-1', text: CONFIDENT }, { id: 'u-2', text: UNSURE }]);
    const stats = await s.runUntil(async () => (await s.out()).length >= 3);
    const results = (await s.out()).map((m) => JSON.parse(m.data));
    expect(results.map((r) => r.id).sort()).toEqual(['c-1', 'u-1', 'u-2']);
    expect(results.filter((r) => r.route === 'review').every((r) => typeof r.review.id === 'string')).toBe(true);
    expect(stats.retried).toBeGreaterThanOrEqual(1);
    expect(review.calls).toBeGreaterThan(3);
    expect(await s.dlq()).toEqual([]);
    expect(await s.backlog()).toEqual({ pending: 0, unacked: 0 });
  });

  it('dead-letters a message that still fails after maxDeliver attempts', async () => {
    const review = flaky(await openReviewStore('sqlite::memory:'), Number.POSITIVE_INFINITY);
    open.push(review);
    const s = await setup(review, { maxDeliver: 3 });
    await s.produce([{ id: 'u-1', text: UNSURE }, { id: 'c-1', text: CONFIDENT }]);
    const stats = await s.runUntil(async () => (await s.dlq()).length >= 1 && (await s.out()).length >= 1);
    expect((await s.out()).map((m) => JSON.parse(m.data).id)).toEqual(['c-1']);
    const [dead] = await s.dlq();
    expect(JSON.parse(dead.data)).toEqual({ id: 'u-1', text: UNSURE });
    expect(dead.headers).toMatchObject({ [DLQ_HEADERS.error]: 'max_deliveries', [DLQ_HEADERS.attempts]: '3', [DLQ_HEADERS.id]: 'u-1' });
    expect(dead.headers[DLQ_HEADERS.reason]).toMatch(/unavailable: review store unreachable \(attempt 3 of 3\)/);
    expect(stats).toMatchObject({ retried: 2, deadLettered: 1, published: 1 });
  });

  it('dead-letters on arrival a message already delivered more than maxDeliver times (its workers died)', async () => {
    // before the worker's broker exists, so that this one gets every delivery
    const t = uniqueTopology();
    const other = await openBroker(NATS_URL, { ...t, maxInFlight: 1 });
    await produce(client.nc, t.in, [JSON.stringify({ id: 'k-1', text: CONFIDENT })]);
    for (let i = 0; i < 2; i++) {
      let got: Awaited<ReturnType<Broker['receive']>> = [];
      for (let j = 0; j < 20 && !got.length; j++) got = await other.receive(1, { waitMs: 500 });
      expect(got).toHaveLength(1);
      got[0].nak(0);
    }
    await other.close();
    const s = await setup(undefined, { maxDeliver: 2 }, t);
    const stats = await s.runUntil(async () => (await s.dlq()).length >= 1);
    const [dead] = await s.dlq();
    // 3, or 4 when the closing broker had already pulled the third delivery and handed it back
    const attempts = Number(dead.headers[DLQ_HEADERS.attempts]);
    expect(attempts).toBeGreaterThan(2);
    expect(dead.headers[DLQ_HEADERS.error]).toBe('max_deliveries');
    expect(dead.headers[DLQ_HEADERS.reason]).toContain(`delivered ${attempts} times without being settled`);
    expect(await s.out()).toEqual([]);
    expect(stats).toMatchObject({ received: 1, deadLettered: 1, published: 0 });
  });

  it('a second message with an id already published is a duplicate: one result per id', async () => {
    const s = await setup();
    await s.produce([{ id: 'same', text: CONFIDENT }]);
    await s.runUntil(async () => (await s.out()).length >= 1);
    await s.produce([{ id: 'same', text: 'I was charged twice for my order' }]);
    // another worker (a stopped one asks for no more messages)
    const next = await setup(undefined, {}, s.t);
    const stats = await next.runUntil(async () => Object.values(await consumerBacklog(client.jsm, s.t)).every((n) => n === 0));
    const out = await s.out();
    expect(out).toHaveLength(1);
    expect(JSON.parse(out[0].data)).toMatchObject({ id: 'same', intent: 'delivery' });
    expect(stats.duplicates).toBe(1);
  });
});
