import { afterAll, describe, expect, it } from 'vitest';
import { openSpendCounter } from '../../src/adapters/spend/index.js';
import { deleteRedisKeys, rawRedis, REDIS_URL, requireRedis, uniqueId } from '../helpers/real-services.js';
import { rejection } from '../helpers/sample.js';
import { runSpendCounterContract } from './spend-counter.contract.js';

runSpendCounterContract('memory', { fresh: () => openSpendCounter('memory') });

// The real server on this machine: a down server fails these tests (with the start command), never skips them.
describe('redis (real server)', () => {
  const run = `intentops-test:${uniqueId()}:`;
  let n = 0;
  afterAll(() => deleteRedisKeys(run));
  runSpendCounterContract(`redis (${REDIS_URL})`, {
    fresh: async () => {
      await requireRedis();
      return openSpendCounter(REDIS_URL, { keyPrefix: `${run}${n++}:` });
    },
  });

  it('keeps one float per day under the prefix, with an expiry', async () => {
    await requireRedis();
    const keyPrefix = `${run}raw:`;
    const c = await openSpendCounter(REDIS_URL, { keyPrefix, ttlSeconds: 3600 });
    await c.add('2025-01-31', 0.5);
    await c.add('2025-01-31', 0.25);
    await c.close();
    const raw = rawRedis();
    try {
      expect(Number(await raw.get(`${keyPrefix}2025-01-31`))).toBe(0.75);
      const ttl = await raw.ttl(`${keyPrefix}2025-01-31`);
      expect(ttl).toBeGreaterThan(3500);
      expect(ttl).toBeLessThanOrEqual(3600);
      // something else wrote garbage under the key: reads as 0, and adding to it is an error, not a silent reset
      await raw.set(`${keyPrefix}2025-02-01`, 'not a number', 'EX', 60);
      const again = await openSpendCounter(REDIS_URL, { keyPrefix });
      expect(await again.get('2025-02-01')).toBe(0);
      expect((await rejection(again.add('2025-02-01', 1))).code).toBe('unavailable');
      await again.close();
    } finally {
      raw.disconnect();
    }
  });

  it('two handles (replicas) share one total', async () => {
    await requireRedis();
    const keyPrefix = `${run}shared:`;
    const [a, b] = [await openSpendCounter(REDIS_URL, { keyPrefix }), await openSpendCounter(REDIS_URL, { keyPrefix })];
    await a.add('2025-01-31', 0.4);
    expect(await b.add('2025-01-31', 0.1)).toBeCloseTo(0.5, 12);
    expect(await a.get('2025-01-31')).toBeCloseTo(0.5, 12);
    await Promise.all([a.close(), b.close()]);
  });

  it('a server that is not there fails the open with unavailable, without the password', async () => {
    const err = await rejection(openSpendCounter('redis://:hunter2@127.0.0.1:1/0'));
    expect(err.code).toBe('unavailable');
    expect(err.describe()).not.toContain('hunter2');
  });

  it('an unknown scheme is a configuration error listing the valid ones', async () => {
    const err = await rejection(openSpendCounter('postgres://x'));
    expect(err.code).toBe('invalid_config');
    expect(err.message).toMatch(/memory, redis:\/\//);
    expect((await rejection(openSpendCounter('memory:?x=1'))).code).toBe('invalid_config');
  });
});
