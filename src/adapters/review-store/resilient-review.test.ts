import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { NewReviewItem } from '../../ports/review-store.js';
import { dropPgTables, PG_URL, requirePostgres, uniqueId } from '../../../test/helpers/real-services.js';
import { tempDir } from '../../../test/helpers/sample.js';
import { TcpProxy } from '../../../test/helpers/tcp-proxy.js';
import { isPgUnavailable } from '../sql/pg-errors.js';
import { openSpool } from '../spool.js';
import { openReviewStore } from './index.js';
import { ResilientReviewStore, type SpooledReview } from './resilient-review.js';

const item = (text: string): NewReviewItem => ({ text, guess: 'billing', confidence: 0.4, alternatives: [{ intent: 'billing', score: 0.4 }], reason: 'low_confidence', model: { name: 'm', version: '1' } });

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('isPgUnavailable: connection-class failures are unavailability, statement errors are not', () => {
  it.each(['08006', '08001', '08P01', '53300', '53100', '55000', '55P03', '57P01', '57P02', '57P03', '40001', 'ECONNREFUSED', 'ECONNRESET'])('%s → unavailable', (code) => {
    expect(isPgUnavailable(Object.assign(new Error('x'), { code }))).toBe(true);
  });
  it.each(['42P01', '23505', '22P02', '42601'])('%s → not unavailable', (code) => {
    expect(isPgUnavailable(Object.assign(new Error('syntax'), { code }))).toBe(false);
  });
  it('pg messages without a code', () => {
    expect(isPgUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isPgUnavailable(new Error('Query read timeout'))).toBe(true);
    expect(isPgUnavailable(new Error('column "x" does not exist'))).toBe(false);
  });
});

// The real PostgreSQL, reached through a TCP proxy the test cuts: a down server fails these tests.
describe('ResilientReviewStore over PostgreSQL behind a proxy', () => {
  const run = `t_${uniqueId()}_`;
  const root = tempDir('intentops-spool-');
  let n = 0;
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });
  afterAll(async () => {
    rmSync(root, { recursive: true, force: true });
    await dropPgTables(run);
  });

  async function setup(o: { maxOpen?: number; spoolDir?: string; capacity?: number; tablePrefix?: string; onLost?: (n: number) => void } = {}) {
    await requirePostgres();
    const { proxy, url } = await TcpProxy.forUrl(PG_URL, 5432);
    cleanups.push(() => proxy.close());
    const tablePrefix = o.tablePrefix ?? `${run}${n++}_`;
    const inner = await openReviewStore(url, { tablePrefix });
    const calls = { add: 0 };
    const add = inner.add.bind(inner);
    inner.add = (...a) => (calls.add++, add(...a));
    const direct = await openReviewStore(PG_URL, { tablePrefix });
    cleanups.push(() => direct.close());
    const spool = openSpool<SpooledReview>({ dir: o.spoolDir, name: 'review', capacity: o.capacity ?? 100 });
    const states: boolean[] = [];
    const store = new ResilientReviewStore(inner, { spool, maxOpen: o.maxOpen, addTimeoutMs: 2000, probeMs: 100, refreshMs: 0, onState: (up) => states.push(up), onLost: o.onLost, persistent: Boolean(o.spoolDir) });
    cleanups.push(() => store.close(200));
    return { proxy, store, direct, states, tablePrefix, calls };
  }

  it('reset: unsure items are answered as pending while the database is away, and written (with their ids, repeats counted) once it is back', async () => {
    const { proxy, store, direct, states } = await setup();
    const first = await store.add(item('before the cut'));
    expect(first.pending).toBeUndefined();
    proxy.cut('reset');
    const during = [];
    for (const text of ['one', 'two', 'two', 'Two ']) during.push(await store.add(item(text)));
    expect(during.every((r) => r.pending === true && r.state === 'open')).toBe(true);
    expect(store.stats()).toMatchObject({ up: false, spooled: 4, spooledTotal: 4 });
    // reads fail while it is away: the reviewer API reports the outage
    await expect(store.list()).rejects.toMatchObject({ code: 'unavailable' });
    proxy.restore();
    await until('the spool to be written', () => store.stats().up);
    expect(store.stats()).toMatchObject({ spooled: 0, flushedTotal: 4, dropped: { spool_full: 0, queue_full: 0, shutdown: 0 } });
    expect(states).toEqual([false, true]);
    const items = await direct.list({ limit: 100 });
    expect(items.map((i) => [i.text, i.count])).toEqual([
      ['before the cut', 1],
      ['one', 1],
      ['two', 3],
    ]);
    expect(items[1].id).toBe(during[0].id);
    expect(items[2].id).toBe(during[1].id);
    // back to direct writes
    expect((await store.add(item('after'))).pending).toBeUndefined();
  });

  it('blackhole: an add waits at most addTimeoutMs, later ones not at all while the store is known to be away', async () => {
    const { proxy, store, direct, calls } = await setup();
    await store.add(item('warm'));
    proxy.cut('blackhole');
    // without the deadline this add would wait for the TCP stack (minutes)
    expect((await store.add(item('a'))).pending).toBe(true);
    const tried = calls.add;
    for (let i = 0; i < 20; i++) expect((await store.add(item(`b${i}`))).pending).toBe(true);
    expect(calls.add).toBe(tried);
    proxy.restore();
    await until('the spool to be written', () => store.stats().up);
    expect(await direct.openCount()).toBe(22);
  });

  it('review.maxOpen: a new text beyond the bound is dropped and counted; a repeat is still counted on its item', async () => {
    const { store, direct } = await setup({ maxOpen: 3 });
    for (const t of ['a', 'b', 'c']) await store.add(item(t));
    await until('the open count to be read', () => store.stats().openEstimate === 3);
    const over = await store.add(item('d'));
    expect(over.dropped).toBe(true);
    expect((await store.add(item('a'))).count).toBe(2);
    expect(store.stats().dropped).toEqual({ spool_full: 0, queue_full: 1, shutdown: 0 });
    expect(await direct.openCount()).toBe(3);
  });

  it('a full spool drops (and counts) further items', async () => {
    const { proxy, store } = await setup({ capacity: 2 });
    proxy.cut('reset');
    const rs = [];
    for (const t of ['a', 'b', 'c']) rs.push(await store.add(item(t)));
    expect(rs.map((r) => (r.pending ? 'pending' : r.dropped ? 'dropped' : 'stored'))).toEqual(['pending', 'pending', 'dropped']);
    expect(store.stats().dropped.spool_full).toBe(1);
  });

  it('a spool in memory that still holds items at close: they are counted as lost and reported', async () => {
    const lost: number[] = [];
    const { proxy, store } = await setup({ onLost: (n) => lost.push(n) });
    proxy.cut('reset');
    expect((await store.add(item('never written'))).pending).toBe(true);
    await store.close(100);
    expect(lost).toEqual([1]);
    expect(store.stats().dropped.shutdown).toBe(1);
  });

  it('a spool on disk outlives the process: the next one writes it out', async () => {
    const spoolDir = join(root, `disk-${n}`);
    const a = await setup({ spoolDir });
    a.proxy.cut('reset');
    const pending = await a.store.add(item('kept on disk'));
    expect(pending.pending).toBe(true);
    await a.store.close(100);
    expect(readFileSync(join(spoolDir, 'review.jsonl'), 'utf8')).toContain('kept on disk');
    const b = await setup({ spoolDir, tablePrefix: a.tablePrefix });
    await until('the earlier spool to be written', () => b.store.stats().up && b.store.stats().spooled === 0);
    expect((await b.direct.get(pending.id))?.text).toBe('kept on disk');
    expect(existsSync(join(spoolDir, 'review.jsonl')) ? readFileSync(join(spoolDir, 'review.jsonl'), 'utf8') : '').toBe('');
  });
});



describe('ResilientReviewStore over a slow SQLite store', () => {
  it('an add slower than addTimeoutMs that lands after its item was spooled: one item, the message counted once, under the id the answer carried', async () => {
    const inner = await openReviewStore(`sqlite:${join(tempDir('intentops-slow-review-'), 'review.db')}`);
    const add = inner.add.bind(inner);
    let first = true;
    const late: Promise<unknown>[] = [];
    // the first write reaches the store only after the wrapper gave up on it
    inner.add = (...a) => {
      if (!first) return add(...a);
      first = false;
      const p = new Promise((r) => setTimeout(r, 300)).then(() => add(...a));
      late.push(p.catch(() => undefined));
      return p;
    };
    const store = new ResilientReviewStore(inner, { spool: openSpool<SpooledReview>({ name: 'review', capacity: 10 }), addTimeoutMs: 100, probeMs: 50, refreshMs: 0 });
    try {
      const r = await store.add(item('slow write'));
      expect(r.pending).toBe(true);
      await until('the spool to be written', () => store.stats().up);
      await Promise.all(late);
      const items = await inner.list({ limit: 10 });
      expect(items.map((i) => [i.id, i.text, i.count])).toEqual([[r.id, 'slow write', 1]]);
    } finally {
      await store.close(200);
      await inner.close();
    }
  });
});
