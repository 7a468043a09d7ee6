/**
 * Fault injection: workers stopped with SIGTERM while messages flow (a rolling deploy, a
 * scale-down). Promised: the stopped worker exits 0 having finished and acked what it held,
 * nothing is dead-lettered that was not really tried maxDeliver times (here: nothing), every
 * message is classified exactly once in the output, and nothing waits for the ack wait (30 s
 * here) to be redelivered.
 */
import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumerBacklog, deleteTopology, NATS_URL, natsClient, produce, readSubject, uniqueTopology, type NatsTopology } from '../contract/broker.nats.js';
import { sampleModel } from '../helpers/serving.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { intentops, sleep, within, type Child } from './processes.js';

/** Everything is classified within this long after the SIGTERM (far below the 30 s ack wait). */
const SETTLE_MS = 20_000;
/** After a cut link is restored: reconnect (back-off ≤ 2 s), pull again (1 s), redeliver what was held (ack wait 10 s). */
const RECOVERY_MS = 30_000;
const TEXTS = ['where is my parcel? tracking shows nothing', 'I was charged twice for my order', 'hmm ok', 'cannot log in to my account', 'I want my money back'];

describe('workers stopped with SIGTERM mid-stream', () => {
  let client: { nc: NatsConnection; jsm: JetStreamManager };
  let model: string;
  const made: NatsTopology[] = [];
  const children: Child[] = [];
  beforeAll(async () => {
    client = await natsClient();
    model = await sampleModel();
  });
  afterAll(async () => {
    for (const c of children) c.proc.kill('SIGKILL');
    for (const t of made) await deleteTopology(client.jsm, t);
    await client.nc.close();
  });

  function flags(t: NatsTopology): string[] {
    // maxDeliver 1: any delivery beyond the first that was not a real try (a hand-back, a
    // redelivery storm) dead-letters a valid message, so the test sees every one of them
    return ['--model', model, '--broker', NATS_URL, '--stream', t.stream, '--in', t.in, '--out', t.out, '--dlq', t.dlq, '--consumer', t.consumer, '--ack-wait', '30000', '--concurrency', '64', '--batch', '16', '--max-deliver', '1'];
  }
  const start = async (t: NatsTopology) => {
    const c = await intentops(['worker', ...flags(t)], 'worker started', { INTENTOPS_REVIEW_URI: 'none', INTENTOPS_EVENTS_URI: 'none', INTENTOPS_TRACKING_URI: 'none' });
    children.push(c);
    return c;
  };
  const messages = (n: number, tag: string) => Array.from({ length: n }, (_, i) => JSON.stringify({ id: `${tag}-${i}`, text: TEXTS[i % TEXTS.length] }));

  async function expectExactlyOnce(t: NatsTopology, sent: string[]): Promise<void> {
    const out = await readSubject(client.nc, client.jsm, `${t.stream}_OUT`, t.out);
    const ids = out.map((m) => JSON.parse(m.data).id as string);
    expect(ids.length).toBe(sent.length);
    expect([...ids].sort()).toEqual(sent.map((m) => JSON.parse(m).id as string).sort());
    expect(await readSubject(client.nc, client.jsm, `${t.stream}_OUT`, t.dlq)).toEqual([]);
  }

  it('one of two workers: nothing dead-lettered, every message once, the rest taken over at once', async () => {
    const t = uniqueTopology();
    made.push(t);
    const a = await start(t);
    const b = await start(t);
    const sent = messages(600, 'two');
    const outCount = async () => (await client.jsm.streams.info(`${t.stream}_OUT`, { subjects_filter: t.out }).catch(() => undefined))?.state.subjects?.[t.out] ?? 0;
    await produce(client.nc, t.in, sent);
    // stop A while both hold messages
    await within(SETTLE_MS, 'results flowing', async () => (await outCount()) >= 100);
    a.proc.kill('SIGTERM');
    expect(await a.exit).toBe(0);
    const stats = a.logs().find((l) => l.msg === 'stopped')!;
    expect(stats).toMatchObject({ deadLettered: 0, retried: 0 });
    expect(a.logs().some((l) => l.msg === 'message dead-lettered')).toBe(false);
    await within(SETTLE_MS, 'every message classified', async () => {
      const backlog = await consumerBacklog(client.jsm, t);
      return (await outCount()) >= sent.length && backlog.pending === 0 && backlog.unacked === 0;
    });
    await expectExactlyOnce(t, sent);
    b.proc.kill('SIGTERM');
    expect(await b.exit).toBe(0);
    expect(b.logs().find((l) => l.msg === 'stopped')).toMatchObject({ deadLettered: 0 });
  });

  it('a lone worker: on SIGTERM it leaves nothing ack-pending; the next worker finishes the stream', async () => {
    const t = uniqueTopology();
    made.push(t);
    const a = await start(t);
    const sent = messages(400, 'lone');
    await produce(client.nc, t.in, sent);
    await sleep(200);
    a.proc.kill('SIGTERM');
    expect(await a.exit).toBe(0);
    // what it held was finished and acked, or handed back: none waits for the 30 s ack wait (the
    // server may take a moment to process the last acks it was sent)
    await within(5000, 'nothing left ack-pending', async () => (await consumerBacklog(client.jsm, t)).unacked === 0);
    const b = await start(t);
    await within(SETTLE_MS, 'the rest classified by the next worker', async () => {
      const backlog = await consumerBacklog(client.jsm, t);
      return backlog.pending === 0 && backlog.unacked === 0;
    });
    await expectExactlyOnce(t, sent);
    b.proc.kill('SIGTERM');
    expect(await b.exit).toBe(0);
  });
});

describe('workers whose NATS connection is cut mid-stream', () => {
  let client: { nc: NatsConnection; jsm: JetStreamManager };
  let model: string;
  const t = uniqueTopology();
  const children: Child[] = [];
  let proxy: TcpProxy;
  beforeAll(async () => {
    client = await natsClient();
    model = await sampleModel();
    const u = new URL(NATS_URL);
    proxy = await TcpProxy.start({ host: u.hostname, port: Number(u.port) || 4222 });
  });
  afterAll(async () => {
    for (const c of children) c.proc.kill('SIGKILL');
    await proxy.close();
    await deleteTopology(client.jsm, t);
    await client.nc.close();
  });

  it('reconnect and finish: every message classified once, nothing dead-lettered, within RECOVERY after the link is back', async () => {
    const flags = ['--model', model, '--broker', `nats://127.0.0.1:${proxy.port}`, '--stream', t.stream, '--in', t.in, '--out', t.out, '--dlq', t.dlq, '--consumer', t.consumer, '--ack-wait', '10000', '--concurrency', '64', '--batch', '16'];
    const env = { INTENTOPS_REVIEW_URI: 'none', INTENTOPS_EVENTS_URI: 'none', INTENTOPS_TRACKING_URI: 'none' };
    for (let i = 0; i < 2; i++) children.push(await intentops(['worker', ...flags], 'worker started', env));
    const sent = Array.from({ length: 400 }, (_, i) => JSON.stringify({ id: `cut-${i}`, text: TEXTS[i % TEXTS.length] }));
    const outCount = async () => (await client.jsm.streams.info(`${t.stream}_OUT`, { subjects_filter: t.out }).catch(() => undefined))?.state.subjects?.[t.out] ?? 0;
    await produce(client.nc, t.in, sent.slice(0, 200));
    await within(SETTLE_MS, 'results flowing', async () => (await outCount()) >= 50);
    proxy.cut('reset');
    await produce(client.nc, t.in, sent.slice(200)); // published straight to NATS while the workers are cut off
    await sleep(3000);
    proxy.restore();
    await within(RECOVERY_MS, 'every message classified after the link is back', async () => {
      const backlog = await consumerBacklog(client.jsm, t);
      return (await outCount()) >= sent.length && backlog.pending === 0 && backlog.unacked === 0;
    });
    const out = await readSubject(client.nc, client.jsm, `${t.stream}_OUT`, t.out);
    expect([...new Set(out.map((m) => JSON.parse(m.data).id as string))].sort()).toEqual(sent.map((m) => JSON.parse(m).id as string).sort());
    expect(out.length).toBe(sent.length);
    expect(await readSubject(client.nc, client.jsm, `${t.stream}_OUT`, t.dlq)).toEqual([]);
    for (const c of children) c.proc.kill('SIGTERM');
    for (const c of children) expect(await c.exit).toBe(0);
  });
});
