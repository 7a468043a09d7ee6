import { afterAll, describe, expect, it } from 'vitest';
import { openCache } from '../../src/adapters/cache/index.js';
import { deleteRedisKeys, rawRedis, REDIS_URL, requireRedis, uniqueId } from '../helpers/real-services.js';
import { rejection } from '../helpers/sample.js';
import { runCacheContract } from './cache.contract.js';

runCacheContract('memory (LRU)', { fresh: () => openCache('memory') });

// The real server on this machine: a down server fails these tests (with the start command), never skips them.
describe('redis (real server)', () => {
  const run = `intentops-test:${uniqueId()}:`;
  let n = 0;
  afterAll(() => deleteRedisKeys(run));
  runCacheContract(`redis (${REDIS_URL})`, {
    fresh: async () => {
      await requireRedis();
      return openCache(REDIS_URL, { keyPrefix: `${run}${n++}:` });
    },
  });

  it('stores JSON under the key prefix with a PX expiry', async () => {
    await requireRedis();
    const keyPrefix = `${run}raw:`;
    const cache = await openCache<{ intent: string }>(REDIS_URL, { keyPrefix });
    await cache.set('abc', { intent: 'billing' }, 30_000);
    await cache.close();
    const raw = rawRedis();
    try {
      expect(await raw.get(`${keyPrefix}abc`)).toBe('{"intent":"billing"}');
      const pttl = await raw.pttl(`${keyPrefix}abc`);
      expect(pttl).toBeGreaterThan(25_000);
      expect(pttl).toBeLessThanOrEqual(30_000);
      // something else wrote garbage under our prefix: a miss, not a failed request
      await raw.set(`${keyPrefix}junk`, '{not json', 'PX', 30_000);
      const again = await openCache(REDIS_URL, { keyPrefix });
      expect(await again.get('junk')).toBeUndefined();
      await again.close();
    } finally {
      raw.disconnect();
    }
  });

  it('two handles (replicas) share entries', async () => {
    await requireRedis();
    const keyPrefix = `${run}shared:`;
    const [a, b] = [await openCache<number>(REDIS_URL, { keyPrefix }), await openCache<number>(REDIS_URL, { keyPrefix })];
    await a.set('k', 42, 30_000);
    expect(await b.get('k')).toBe(42);
    await Promise.all([a.close(), b.close()]);
  });

  it('a server that is not there fails the open with unavailable and a hint', async () => {
    const err = await rejection(openCache('redis://:hunter2@127.0.0.1:1/0'));
    expect(err.code).toBe('unavailable');
    expect(err.describe()).not.toContain('hunter2');
    expect(err.hint).toMatch(/redis-server/);
  });
});
