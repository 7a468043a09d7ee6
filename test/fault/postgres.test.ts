/**
 * Fault injection: PostgreSQL (review queue and prediction log) goes away while a server answers.
 * The real server is reached through a TCP proxy the test cuts (connections reset, then refused
 * with SQLSTATE 53300, then a blackhole where nothing answers) and restores. Promised: no 5xx; unsure messages get their
 * answer with `review.pending` while the store is away; once it is back, every review item and
 * every prediction record is written (or counted as dropped in /metrics) within RECOVERY_MS.
 */
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPredictionLog } from '../../src/adapters/prediction-log/index.js';
import { openReviewStore } from '../../src/adapters/review-store/index.js';
import type { ReviewItem } from '../../src/ports/review-store.js';
import { PG_URL, requirePostgres, uniqueId } from '../helpers/real-services.js';
import { tempDir } from '../helpers/sample.js';
import { CONFIDENT, metric, sampleModel, testServing, UNSURE, type TestServing } from '../helpers/serving.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { intentops, within, type Child } from './processes.js';

/** Everything spooled or buffered is written within this long after the database is back. */
const RECOVERY_MS = 15_000;

describe('a server whose PostgreSQL goes away under load', () => {
  const schema = `fault_${uniqueId()}`;
  let proxy: TcpProxy;
  let s: TestServing;

  beforeAll(async () => {
    await requirePostgres();
    const p = await TcpProxy.forUrl(PG_URL, 5432);
    proxy = p.proxy;
    const dir = tempDir('intentops-fault-pg-');
    const uri = `${p.url}?schema=${schema}`;
    s = await testServing({
      flags: {
        review: { uri, spoolDir: join(dir, 'spool') },
        events: { uri, spoolDir: join(dir, 'spool'), flushMs: 50 },
      },
    });
  });
  afterAll(async () => {
    await s?.close();
    await proxy?.close();
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => client.end());
  });

  it('answers every message (unsure ones pending review), then writes every item and record once it is back', async () => {
    let n = 0;
    const answers: { text: string; status: number; body: { route: string; review?: { id: string; pending?: true } } }[] = [];
    const send = async (count: number) => {
      const phase: typeof answers = [];
      for (let i = 0; i < count; i += 25) {
        const batch = await Promise.all(
          Array.from({ length: Math.min(25, count - i) }, async () => {
            const k = n++;
            // every third message unsure: 30 texts, repeated (each counted on one item)
            const text = k % 3 ? `${CONFIDENT} #${k}` : `${UNSURE} ${k % 90}`;
            const res = await s.post('/v1/classify', { text });
            return { text, status: res.status, body: await res.json() };
          }),
        );
        phase.push(...batch);
      }
      answers.push(...phase);
      return phase;
    };
    const noFailures = (xs: typeof answers) => expect(xs.filter((a) => a.status !== 200).map((a) => a.status)).toEqual([]);

    noFailures(await send(60));
    proxy.cut('reset');
    const reset = await send(150);
    noFailures(reset);
    const unsure = reset.filter((a) => a.body.route === 'review');
    expect(unsure.length).toBeGreaterThan(20);
    // after the first write that found it away, every item is pending (none waited on the database)
    expect(unsure.slice(5).every((a) => a.body.review?.pending === true)).toBe(true);
    const ready = await (await s.get('/readyz')).json();
    expect(ready).toMatchObject({ status: 'degraded' });
    expect(ready.degraded).toContain('review');

    // back, then up but refusing work: a real FATAL with SQLSTATE 53300 (was a 500 internal)
    proxy.restore();
    await within(RECOVERY_MS, 'the review store to be back', async () => metric(await (await s.get('/metrics')).text(), 'intentops_dependency_up{dependency="review"}') === 1);
    proxy.cut('pg-refuse', { sqlstate: '53300', message: 'sorry, too many clients already' });
    const refused = await send(60);
    noFailures(refused);
    expect(refused.filter((a) => a.body.review?.pending).length).toBeGreaterThan(5);
    proxy.cut('blackhole');
    noFailures(await send(90));
    let m = await (await s.get('/metrics')).text();
    expect(metric(m, 'intentops_dependency_up{dependency="review"}')).toBe(0);
    expect(metric(m, 'intentops_review_spooled')).toBeGreaterThan(0);

    proxy.restore();
    await within(RECOVERY_MS, 'the spool and the prediction buffer to be written', async () => {
      m = await (await s.get('/metrics')).text();
      return (
        metric(m, 'intentops_dependency_up{dependency="review"}') === 1 &&
        metric(m, 'intentops_review_spooled') === 0 &&
        metric(m, 'intentops_predictions_buffered') === 0 &&
        metric(m, 'intentops_predictions_spooled') === 0 &&
        metric(m, 'intentops_predictions_written_total') + metric(m, 'intentops_predictions_dropped_total') === answers.length
      );
    });

    // every review answer is in the queue: pending ones under their announced ids, repeats counted
    const direct = await openReviewStore(`${PG_URL}?schema=${schema}`);
    const log = await openPredictionLog(`${PG_URL}?schema=${schema}`);
    try {
      const all: ReviewItem[] = [];
      for (let after: string | undefined; ; ) {
        const page = await direct.list({ limit: 1000, after });
        all.push(...page);
        if (page.length < 1000) break;
        after = page[page.length - 1].id;
      }
      // audit samples of accepted answers are queued too, without a review field in the answer
      const items = all.filter((i) => i.reason !== 'audit');
      const queued = answers.filter((a) => a.body.review);
      const dropped = metric(m, 'intentops_review_dropped_total{reason="spool_full"}') + metric(m, 'intentops_review_dropped_total{reason="queue_full"}');
      expect(dropped).toBe(0);
      // one item per text, counting every answer of that text: nothing lost, nothing twice
      expect(items.map((i) => i.text).sort()).toEqual([...new Set(queued.map((a) => a.text))].sort());
      for (const item of items) expect(item.count).toBe(queued.filter((a) => a.text === item.text).length);
      // a text first seen while the store was away is written under the id its answer announced
      const firstPending = new Map<string, string>();
      for (const a of queued) if (!firstPending.has(a.text) && a.body.review!.pending) firstPending.set(a.text, a.body.review!.id);
      const seenBefore = new Set(answers.slice(0, 60).map((a) => a.text));
      const newDuringOutage = [...firstPending].filter(([text]) => !seenBefore.has(text));
      expect(newDuringOutage.length).toBeGreaterThan(0);
      for (const [text, id] of newDuringOutage) expect(items.find((i) => i.text === text)?.id).toBe(id);
      // every prediction record written exactly once, none dropped
      expect(metric(m, 'intentops_predictions_dropped_total')).toBe(0);
      expect(await log.count!()).toBe(answers.length);
    } finally {
      await direct.close();
      await log.close();
    }
    expect((await (await s.get('/readyz')).json()).status).toBe('ready');
  });
});

describe('a server SIGKILLed while PostgreSQL is away', () => {
  const schema = `fault_kill_${uniqueId()}`;
  afterAll(async () => {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => client.end());
  });

  it('keeps the pending review items in review.spoolDir; the next server writes them under their ids', async () => {
    await requirePostgres();
    const { proxy, url } = await TcpProxy.forUrl(PG_URL, 5432);
    const spoolDir = join(tempDir('intentops-fault-kill-'), 'spool');
    const env = { INTENTOPS_REVIEW_URI: `${url}?schema=${schema}`, INTENTOPS_REVIEW_SPOOL_DIR: spoolDir, INTENTOPS_EVENTS_URI: 'none', INTENTOPS_TRACKING_URI: 'none' };
    const model = await sampleModel();
    const serve = () => intentops(['serve', '--model', model, '--port', '0'], 'listening', env);
    const base = (c: Child) => String(c.logs().find((l) => l.msg === 'listening')!.url);
    try {
      const first = await serve();
      proxy.cut('reset');
      const pending: { id: string; text: string }[] = [];
      for (let i = 0; i < 20; i++) {
        const text = `${UNSURE} killed ${i}`;
        const res = await fetch(`${base(first)}/v1/classify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) });
        expect(res.status).toBe(200);
        const body = await res.json();
        if (body.review) {
          expect(body.review.pending).toBe(true);
          pending.push({ id: body.review.id, text });
        }
      }
      expect(pending.length).toBeGreaterThan(5);
      first.proc.kill('SIGKILL');
      await first.exit;
      proxy.restore();
      const second = await serve();
      try {
        const direct = await openReviewStore(`${PG_URL}?schema=${schema}`);
        try {
          await within(RECOVERY_MS, 'the spooled items to be written', async () => (await direct.openCount()) >= pending.length);
          for (const p of pending) expect((await direct.get(p.id))?.text).toBe(p.text);
        } finally {
          await direct.close();
        }
      } finally {
        second.proc.kill('SIGTERM');
        await second.exit;
      }
    } finally {
      await proxy.close();
    }
  });
});
