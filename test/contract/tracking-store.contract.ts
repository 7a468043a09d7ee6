import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTrackingStore } from '../../src/adapters/tracking/index.js';
import { MIGRATIONS_TABLE, openSqlDb, table, ulidTime } from '../../src/adapters/sql/index.js';
import type { NewRun, TrackingStore } from '../../src/ports/tracking-store.js';
import { rejection } from '../helpers/sample.js';

/** A fresh, empty backing database for one test, named by its store URI. */
export type FreshStore = () => Promise<{ uri: string; cleanup: () => Promise<void> }>;

const ENV = { node: 'v20.0.0', platform: 'linux', arch: 'x64', cpus: 4 };

/** A clock the tests move by hand: createdAt / finishedAt / durations are exact. */
function manualClock(start = Date.parse('2025-03-01T10:00:00.000Z')) {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => (t += ms) };
}

const newRun = (over: Partial<NewRun> = {}): NewRun => ({
  name: 'tickets',
  environment: ENV,
  params: { seed: 7, embedder: { name: 'hashed', config: { dim: 4096, ngrams: [1, 2] } }, note: 'Grüße — 日本語 "quoted"' },
  data: { hash: 'abc123', report: { rows: 600, kept: 598, labels: [{ label: 'billing', count: 60 }] } },
  codeVersion: '0123abcd',
  ...over,
});

/**
 * The behaviour every TrackingStore adapter shares (cf. test/contract/vector-index.contract.ts),
 * run against the embedded default and the real server alike.
 */
export function runTrackingStoreContract(name: string, fresh: FreshStore): void {
  describe(`TrackingStore contract: ${name}`, () => {
    let uri: string;
    let cleanup: () => Promise<void>;
    const open: TrackingStore[] = [];
    let clock = manualClock();
    const store = async (opts: Parameters<typeof openTrackingStore>[1] = { now: () => clock.now() }) => {
      const s = await openTrackingStore(uri, opts);
      open.push(s);
      return s;
    };

    beforeEach(async () => {
      clock = manualClock();
      ({ uri, cleanup } = await fresh());
    });
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close();
      await cleanup();
    });

    it('creates a running run and reads back exactly what it returned', async () => {
      const s = await store();
      const run = await s.createRun(newRun());
      expect(run).toMatchObject({ name: 'tickets', status: 'running', codeVersion: '0123abcd', createdAt: '2025-03-01T10:00:00.000Z', finishedAt: null, durationMs: null, bundle: null, error: null, metrics: {}, perIntent: {}, tags: {} });
      // the one id scheme of the SQL stores: a ULID carrying the creation time (lower case: after the UUIDv7 ids of earlier releases)
      expect(run.id).toMatch(/^[0-9a-hjkmnp-tv-z]{26}$/);
      expect(new Date(ulidTime(run.id)).toISOString()).toBe(run.createdAt);
      expect(await s.getRun(run.id)).toEqual(run);
      expect((await s.getRun(run.id))!.params).toEqual(newRun().params);
      expect((await s.getRun(run.id))!.data).toEqual({ hash: 'abc123', report: newRun().data!.report });
    });

    it('finishes a run: status, finishedAt, duration from the clock, metrics and per-intent figures merged', async () => {
      const s = await store();
      const run = await s.createRun(newRun({ metrics: { a: 1 } }));
      clock.advance(1500);
      const done = await s.updateRun(run.id, { status: 'finished', metrics: { b: 0.25 }, perIntent: { billing: { f1: 0.9 } }, bundle: '/models/x', tags: { trigger: 'ci' } });
      expect(done).toMatchObject({ status: 'finished', finishedAt: '2025-03-01T10:00:01.500Z', durationMs: 1500, metrics: { a: 1, b: 0.25 }, bundle: '/models/x', tags: { trigger: 'ci' } });
      const later = await s.updateRun(run.id, { metrics: { b: 0.5, testAccuracy: 0.8 }, perIntent: { billing: { support: 12 }, login: { f1: 0.7 } }, params: { extra: true } });
      expect(later.metrics).toEqual({ a: 1, b: 0.5, testAccuracy: 0.8 });
      expect(later.perIntent).toEqual({ billing: { f1: 0.9, support: 12 }, login: { f1: 0.7 } });
      expect(later.params).toMatchObject({ seed: 7, extra: true });
      expect(await s.getRun(run.id)).toEqual(later);
    });

    it('records failures with their error and an explicit duration', async () => {
      const s = await store();
      const run = await s.createRun(newRun());
      const failed = await s.updateRun(run.id, { status: 'failed', error: 'out of memory', durationMs: 42 });
      expect(failed).toMatchObject({ status: 'failed', error: 'out of memory', durationMs: 42 });
      expect(failed.finishedAt).not.toBeNull();
    });

    it('a run that is over cannot change status; unknown ids are not_found', async () => {
      const s = await store();
      const run = await s.createRun(newRun());
      await s.updateRun(run.id, { status: 'finished' });
      expect((await rejection(s.updateRun(run.id, { status: 'failed' }))).code).toBe('invalid_input');
      expect((await rejection(s.updateRun(run.id, { status: 'running' as never }))).code).toBe('invalid_input');
      expect((await s.getRun(run.id))!.status).toBe('finished');
      expect((await rejection(s.updateRun('nope', { metrics: { a: 1 } }))).code).toBe('not_found');
      expect(await s.getRun('nope')).toBeUndefined();
    });

    it('rejects bad input with invalid_input and stores nothing', async () => {
      const s = await store();
      for (const metrics of [{ acc: NaN }, { acc: Infinity }, { acc: '0.9' }, { acc: null }]) {
        const err = await rejection(s.createRun(newRun({ metrics: metrics as never })));
        expect(err.code).toBe('invalid_input');
        expect(err.message).toMatch(/metrics\.acc/);
      }
      expect((await rejection(s.createRun(newRun({ name: ' ' })))).code).toBe('invalid_input');
      expect((await rejection(s.createRun({ name: 'x' } as NewRun))).code).toBe('invalid_input');
      expect((await rejection(s.createRun(newRun({ perIntent: { billing: { f1: NaN } } })))).message).toMatch(/perIntent\.billing\.f1/);
      expect(await s.listRuns()).toEqual([]);
      const run = await s.createRun(newRun());
      expect((await rejection(s.updateRun(run.id, { metrics: { x: NaN } }))).code).toBe('invalid_input');
      expect((await s.getRun(run.id))!.metrics).toEqual({});
    });

    it('lists newest first, filters by status and name, pages with before/limit', async () => {
      const s = await store();
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) {
        clock.advance(10);
        const r = await s.createRun(newRun({ name: i % 2 ? 'odd' : 'even' }));
        if (i < 3) await s.updateRun(r.id, { status: 'finished' });
        ids.push(r.id);
      }
      const newestFirst = [...ids].reverse();
      expect((await s.listRuns()).map((r) => r.id)).toEqual(newestFirst);
      expect([...ids].sort()).toEqual(ids); // ids sort by creation
      expect((await s.listRuns({ status: 'finished' })).map((r) => r.id)).toEqual(ids.slice(0, 3).reverse());
      expect((await s.listRuns({ name: 'odd' })).map((r) => r.name)).toEqual(['odd', 'odd', 'odd']);
      const page1 = await s.listRuns({ limit: 3 });
      const page2 = await s.listRuns({ limit: 3, before: page1[2].id });
      expect([...page1, ...page2].map((r) => r.id)).toEqual(newestFirst.slice(0, 6));
      for (const limit of [0, -1, 1.5, 5000]) expect((await rejection(s.listRuns({ limit })).then((e) => e.code))).toBe('invalid_input');
      expect((await rejection(s.listRuns({ status: 'paused' as never }))).code).toBe('invalid_input');
    });

    it('keeps runs across reopening, and reopening does not migrate twice', async () => {
      const a = await store();
      const run = await a.createRun(newRun());
      await a.close();
      open.splice(open.indexOf(a), 1);
      const b = await store();
      expect(await b.getRun(run.id)).toEqual(run);
      const c = await store();
      expect((await c.listRuns()).length).toBe(1);
    });

    it('creates distinct, increasing ids under concurrency, and concurrent updates lose no metric', async () => {
      const [s1, s2] = [await store({}), await store({})];
      const runs = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? s1 : s2).createRun(newRun({ name: `r${i}` }))));
      expect(new Set(runs.map((r) => r.id)).size).toBe(20);
      const target = runs[0].id;
      await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? s1 : s2).updateRun(target, { metrics: { [`m${i}`]: i } })));
      expect(Object.keys((await s1.getRun(target))!.metrics).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `m${i}`).sort());
    });

    it('refuses a database whose tracking schema is newer than this code', async () => {
      await (await store()).close();
      open.length = 0;
      const db = await openSqlDb(uri, 'test');
      await db.run(`UPDATE ${table(db, MIGRATIONS_TABLE)} SET version = 99 WHERE component = 'tracking'`);
      await db.close();
      const err = await rejection(openTrackingStore(uri));
      expect(err.code).toBe('invalid_config');
      expect(err.message).toMatch(/schema version 99, newer than/);
    });
  });
}
