import { afterEach, describe, expect, it } from 'vitest';
import type { EventStoreOptions } from '../../src/adapters/prediction-log/index.js';
import type { PredictionLog, PredictionRecord } from '../../src/ports/prediction-log.js';
import { rejection } from '../helpers/sample.js';

/**
 * The behaviour every PredictionLog adapter must share. Each test gets its own empty location
 * from the harness, so files run in parallel safely.
 */
export interface EventsLocation<S> {
  /** Opens the store at this location; may be called again (after close, or alongside) to reopen it. */
  open(options?: EventStoreOptions): Promise<S>;
  /** Removes the location (file, tables). */
  dispose(): Promise<void>;
}

export interface EventsHarness<S> {
  fresh(): Promise<EventsLocation<S>>;
  /** Whether data outlives close() (false for sqlite::memory:). */
  readonly persistent: boolean;
}

const T0 = Date.UTC(2025, 0, 1);
/** Minute `m` of 2025-01-01, ISO. */
export const minute = (m: number) => new Date(T0 + m * 60_000).toISOString();

export function sampleRecord(n = 0, over: Partial<PredictionRecord> = {}): PredictionRecord {
  return {
    id: `req-${n}`,
    at: minute(n),
    model: { name: 'tickets', version: 'a1b2c3d4e5f6' },
    variant: 'champion',
    intent: n % 2 ? 'delivery' : 'billing',
    confidence: 0.5 + (n % 50) / 100,
    route: 'accepted',
    reason: 'confident',
    cached: n % 3 === 0,
    latencyMs: 1.25 + n,
    ...over,
  };
}

/** Every optional member set. */
export const fullRecord = (n: number): PredictionRecord =>
  sampleRecord(n, {
    route: 'llm',
    reason: 'llm_answered',
    llm: { model: 'gpt-4o-mini', promptTokens: 312, completionTokens: 9, costUsd: 0.0000522 },
    text: `Wo ist mein Paket? 📦 Ruf an: [PHONE] (${n})`,
    features: { oovShare: 0.125, centroidDistance: 0.4375 },
    subject: 'k:7f3a9c',
  });

export function runPredictionLogContract(name: string, harness: EventsHarness<PredictionLog>): void {
  describe(`PredictionLog contract: ${name}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c();
    });
    async function setup(): Promise<{ log: PredictionLog; loc: EventsLocation<PredictionLog> }> {
      const loc = await harness.fresh();
      cleanups.push(() => loc.dispose());
      const log = await loc.open();
      cleanups.push(() => log.close());
      return { log, loc };
    }

    it('append stores every field; get reads a record back as it went in', async () => {
      const { log } = await setup();
      const full = fullRecord(1);
      const bare = sampleRecord(2);
      await log.append([full, bare]);
      expect(await log.get(full.id)).toEqual(full);
      expect(await log.get(bare.id)).toEqual(bare);
      for (const k of ['llm', 'text', 'features', 'subject'] as const) expect(await log.get(bare.id)).not.toHaveProperty(k);
      expect(await log.get('no-such-id')).toBeUndefined();
    });

    it('timestamps come back in one canonical ISO form', async () => {
      const { log } = await setup();
      await log.append([sampleRecord(0, { id: 'a', at: '2025-03-01T10:00:00Z' }), sampleRecord(0, { id: 'b', at: '2025-03-01T11:00:00.5+01:00' })]);
      expect((await log.get('a'))?.at).toBe('2025-03-01T10:00:00.000Z');
      expect((await log.get('b'))?.at).toBe('2025-03-01T10:00:00.500Z');
      expect((await log.query({ since: '2025-03-01T10:00:00.200Z' })).map((r) => r.id)).toEqual(['b']);
    });

    it('a shadow shares the served id: get picks the served variant unless one is named', async () => {
      const { log } = await setup();
      const served = sampleRecord(1, { variant: 'challenger' });
      const shadow = sampleRecord(1, { variant: 'shadow', intent: 'refund', model: { name: 'tickets', version: 'ffff00001111' } });
      await log.append([shadow, served]);
      expect(await log.get(served.id)).toEqual(served);
      expect(await log.get(served.id, 'shadow')).toEqual(shadow);
      expect(await log.get(served.id, 'champion')).toBeUndefined();
      const onlyShadow = sampleRecord(2, { variant: 'shadow' });
      await log.append([onlyShadow]);
      expect(await log.get(onlyShadow.id)).toEqual(onlyShadow);
    });

    it('query: oldest first whatever the append order; since inclusive, until exclusive, variant, limit', async () => {
      const { log } = await setup();
      const records = [5, 1, 4, 0, 3, 2].map((n) => sampleRecord(n, { variant: n === 3 ? 'challenger' : 'champion' }));
      await log.append(records.slice(0, 3));
      await log.append(records.slice(3));
      const ids = (xs: PredictionRecord[]) => xs.map((r) => r.id);
      expect(ids(await log.query())).toEqual(['req-0', 'req-1', 'req-2', 'req-3', 'req-4', 'req-5']);
      expect(ids(await log.query({ since: minute(2), until: minute(4) }))).toEqual(['req-2', 'req-3']);
      expect(ids(await log.query({ variant: 'challenger' }))).toEqual(['req-3']);
      expect(ids(await log.query({ since: minute(1), variant: 'champion', limit: 2 }))).toEqual(['req-1', 'req-2']);
      expect(await log.query({ since: minute(6) })).toEqual([]);
      expect(await log.query({ since: minute(1), until: minute(2) })).toEqual([records[1]]);
      // count (optional in the port, provided by every adapter here) matches query without reading
      expect(await log.count!()).toBe(6);
      expect(await log.count!({ since: minute(2), until: minute(4) })).toBe(2);
      expect(await log.count!({ variant: 'champion', until: minute(3) })).toBe(3);
      expect((await rejection(log.count!({ until: 'later' }))).code).toBe('invalid_input');
    });

    it('appending an (id, variant) again keeps the first record (safe retries); an empty batch is a no-op', async () => {
      const { log } = await setup();
      const first = sampleRecord(1);
      await log.append([first]);
      await log.append([first, sampleRecord(1, { intent: 'changed' }), sampleRecord(2)]);
      await log.append([]);
      expect(await log.get(first.id)).toEqual(first);
      expect((await log.query()).map((r) => r.id)).toEqual(['req-1', 'req-2']);
    });

    it('a batch with one malformed record writes nothing and names the record and field', async () => {
      const { log } = await setup();
      const cases: [Partial<PredictionRecord>, RegExp][] = [
        [{ confidence: Number.NaN }, /record 1 .*confidence/],
        [{ variant: 'canary' as never }, /record 1 .*variant/],
        [{ at: 'yesterday' }, /record 1 at.*ISO-8601/],
        [{ id: '' }, /record 1 .*id/],
        [{ route: 'nowhere' as never }, /record 1 .*route/],
      ];
      for (const [over, message] of cases) {
        const err = await rejection(log.append([sampleRecord(0), sampleRecord(1, over)]));
        expect(err.code).toBe('invalid_input');
        expect(`${err.where} ${err.message}`).toMatch(message);
      }
      expect(await log.query()).toEqual([]);
    });

    it('query rejects a bad time, variant or limit with invalid_input', async () => {
      const { log } = await setup();
      for (const q of [{ since: 'last week' }, { until: '2025-13-45T00:00:00Z' }, { variant: 'canary' as never }, { limit: 0 }, { limit: 2.5 }]) {
        expect((await rejection(log.query(q))).code).toBe('invalid_input');
      }
      expect((await rejection(log.purge('soon'))).code).toBe('invalid_input');
    });

    it('purge deletes records strictly older than the cut-off (in chunks, any number) and returns the count', async () => {
      const { log } = await setup();
      // 12,001 records in one batch: several statements (PostgreSQL) and purge chunks (both)
      const many = Array.from({ length: 12_001 }, (_, i) => sampleRecord(i % 100, { id: `bulk-${i}`, at: new Date(T0 - 86_400_000 + i).toISOString() }));
      await log.append(many);
      await log.append([sampleRecord(0), sampleRecord(1), sampleRecord(2)]);
      expect((await log.query({ until: minute(0) })).length).toBe(12_001);
      expect(await log.purge(minute(1))).toBe(12_002);
      expect((await log.query()).map((r) => r.id)).toEqual(['req-1', 'req-2']);
      expect(await log.purge(minute(1))).toBe(0);
    });

    it('close is idempotent and later calls fail with unavailable', async () => {
      const loc = await harness.fresh();
      cleanups.push(() => loc.dispose());
      const log = await loc.open();
      await log.close();
      await log.close();
      expect((await rejection(log.query())).code).toBe('unavailable');
      expect((await rejection(log.append([sampleRecord()]))).code).toBe('unavailable');
      expect((await rejection(log.get('x'))).code).toBe('unavailable');
    });

    if (harness.persistent) {
      it('data survives close and reopen; two handles see each other’s writes', async () => {
        const { log, loc } = await setup();
        await log.append([fullRecord(1), sampleRecord(2)]);
        await log.close();
        const [a, b] = await Promise.all([loc.open(), loc.open()]);
        cleanups.push(() => a.close(), () => b.close());
        expect(await a.get('req-1')).toEqual(fullRecord(1));
        await b.append([sampleRecord(3)]);
        expect((await a.query()).map((r) => r.id)).toEqual(['req-1', 'req-2', 'req-3']);
      });
    }
  });
}
