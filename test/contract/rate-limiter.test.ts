import { afterAll, describe, expect, it } from 'vitest';
import { openRateLimiter } from '../../src/adapters/rate-limit/index.js';
import { deleteRedisKeys, rawRedis, REDIS_URL, requireRedis, uniqueId } from '../helpers/real-services.js';
import { rejection } from '../helpers/sample.js';
import { runRateLimiterContract } from './rate-limiter.contract.js';

runRateLimiterContract('memory', { fresh: (bucket) => openRateLimiter('memory', bucket) });

// The real server on this machine: a down server fails these tests (with the start command), never skips them.
describe('redis (real server)', () => {
  const run = `intentops-test:${uniqueId()}:`;
  let n = 0;
  afterAll(() => deleteRedisKeys(run));
  runRateLimiterContract(`redis (${REDIS_URL})`, {
    fresh: async (bucket) => {
      await requireRedis();
      return openRateLimiter(REDIS_URL, { ...bucket, keyPrefix: `${run}${n++}:` });
    },
  });

  it('replicas share one bucket per key', async () => {
    await requireRedis();
    const keyPrefix = `${run}replicas:`;
    const replicas = await Promise.all([0, 1, 2].map(() => openRateLimiter(REDIS_URL, { ratePerSecond: 1, burst: 4, keyPrefix })));
    const ds = await Promise.all(Array.from({ length: 12 }, (_, i) => replicas[i % 3].take('alice')));
    expect(ds.filter((d) => d.allowed)).toHaveLength(4);
    await Promise.all(replicas.map((r) => r.close()));
  });

  it('a bucket expires once it would be full again, so idle keys cost nothing', async () => {
    await requireRedis();
    const keyPrefix = `${run}ttl:`;
    const l = await openRateLimiter(REDIS_URL, { ratePerSecond: 100, burst: 2, keyPrefix });
    await l.take('k');
    await l.close();
    const raw = rawRedis();
    try {
      const pttl = await raw.pttl(`${keyPrefix}k`);
      expect(pttl).toBeGreaterThan(0);
      expect(pttl).toBeLessThanOrEqual(1020);
    } finally {
      raw.disconnect();
    }
  });

  it('survives a script cache flush (EVALSHA falls back to EVAL)', async () => {
    await requireRedis();
    const l = await openRateLimiter(REDIS_URL, { ratePerSecond: 1, burst: 2, keyPrefix: `${run}flush:` });
    expect((await l.take('k')).allowed).toBe(true);
    const raw = rawRedis();
    await raw.script('FLUSH');
    raw.disconnect();
    expect((await l.take('k')).allowed).toBe(true);
    expect((await l.take('k')).allowed).toBe(false);
    await l.close();
  });

  it('a server that is not there fails the open with unavailable', async () => {
    expect((await rejection(openRateLimiter('redis://127.0.0.1:1', { ratePerSecond: 1, burst: 1 }))).code).toBe('unavailable');
  });
});
