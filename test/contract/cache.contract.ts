import { afterEach, describe, expect, it } from 'vitest';
import type { Cache } from '../../src/ports/cache.js';
import { rejection } from '../helpers/sample.js';

/**
 * The behaviour every Cache adapter must share. Expiry uses real time (Redis keeps its own
 * clock), with TTLs short enough to keep the suite fast and margins wide enough to keep it steady.
 */
export interface CacheHarness {
  /** A new, empty, isolated cache (its own key prefix for shared servers). */
  fresh<V>(): Promise<Cache<V>>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function runCacheContract(name: string, harness: CacheHarness): void {
  describe(`Cache contract: ${name}`, () => {
    const open: Cache<unknown>[] = [];
    afterEach(async () => {
      for (const c of open.splice(0)) await c.close();
    });
    async function setup<V>(): Promise<Cache<V>> {
      const c = await harness.fresh<V>();
      open.push(c as Cache<unknown>);
      return c;
    }

    it('a missing key is undefined', async () => {
      const c = await setup<string>();
      expect(await c.get('sha256:missing')).toBeUndefined();
    });

    it('round-trips JSON values, as JSON', async () => {
      const c = await setup<unknown>();
      const answer = { intent: 'billing', confidence: 0.8731, alternatives: [{ intent: 'refund', score: 0.1 }], model: { name: 'm', version: '7' }, note: 'Größe 😀', none: null, flag: false };
      await c.set('k1', answer, 60_000);
      expect(await c.get('k1')).toEqual(answer);
      for (const v of [0, '', 'text', [], [1, 'two'], true]) {
        await c.set('scalar', v, 60_000);
        expect(await c.get('scalar')).toEqual(v);
      }
      // what JSON cannot hold is dropped or converted the same way by every backend
      await c.set('lossy', { at: new Date(Date.UTC(2025, 0, 2)), gone: undefined, n: 1 }, 60_000);
      expect(await c.get('lossy')).toEqual({ at: '2025-01-02T00:00:00.000Z', n: 1 });
    });

    it('a hit is a copy: mutating it does not change the cache', async () => {
      const c = await setup<{ tags: string[] }>();
      await c.set('k', { tags: ['a'] }, 60_000);
      (await c.get('k'))!.tags.push('b');
      expect(await c.get('k')).toEqual({ tags: ['a'] });
    });

    it('set overwrites the value and its TTL; keys are independent', async () => {
      const c = await setup<number>();
      await c.set('a', 1, 60_000);
      await c.set('b', 2, 60_000);
      await c.set('a', 3, 60_000);
      expect(await c.get('a')).toBe(3);
      expect(await c.get('b')).toBe(2);
      await c.set('b', 4, 50);
      await sleep(150);
      expect(await c.get('b')).toBeUndefined();
      expect(await c.get('a')).toBe(3);
    });

    it('entries expire after their TTL', async () => {
      const c = await setup<string>();
      await c.set('short', 'x', 100);
      await c.set('long', 'y', 60_000);
      expect(await c.get('short')).toBe('x');
      await sleep(250);
      expect(await c.get('short')).toBeUndefined();
      expect(await c.get('long')).toBe('y');
    });

    it('rejects a bad TTL or a value JSON cannot hold with invalid_input', async () => {
      const c = await setup<unknown>();
      for (const ttl of [0, -5, 1.5, Number.NaN, Infinity]) expect((await rejection(c.set('k', 1, ttl))).code).toBe('invalid_input');
      expect((await rejection(c.set('k', undefined, 1000))).code).toBe('invalid_input');
      expect((await rejection(c.set('', 1, 1000))).code).toBe('invalid_input');
      expect(await c.get('k')).toBeUndefined();
    });

    it('close is idempotent and later calls fail with unavailable', async () => {
      const c = await harness.fresh<number>();
      await c.set('k', 1, 60_000);
      await c.close();
      await c.close();
      expect((await rejection(c.get('k'))).code).toBe('unavailable');
      expect((await rejection(c.set('k', 2, 1000))).code).toBe('unavailable');
    });
  });
}
