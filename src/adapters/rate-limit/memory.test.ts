import { describe, expect, it } from 'vitest';
import { rejection } from '../../../test/helpers/sample.js';
import { openRateLimiter, rateLimiters } from './index.js';
import { createMemoryRateLimiter } from './memory.js';

describe('memory token bucket (injected clock)', () => {
  it('spends the burst, then refills at ratePerSecond, capped at burst', async () => {
    let t = 1_000;
    const l = createMemoryRateLimiter({ ratePerSecond: 2, burst: 2, now: () => t });
    expect(await l.take('k')).toEqual({ allowed: true, retryAfterMs: 0, remaining: 1 });
    expect(await l.take('k')).toEqual({ allowed: true, retryAfterMs: 0, remaining: 0 });
    expect(await l.take('k')).toEqual({ allowed: false, retryAfterMs: 500, remaining: 0 });
    t += 250;
    expect(await l.take('k')).toEqual({ allowed: false, retryAfterMs: 250, remaining: 0 });
    t += 250;
    expect(await l.take('k')).toEqual({ allowed: true, retryAfterMs: 0, remaining: 0 });
    t += 60_000;
    expect(await l.take('k')).toEqual({ allowed: true, retryAfterMs: 0, remaining: 1 });
  });

  it('a clock that steps back mints no tokens', async () => {
    let t = 5_000;
    const l = createMemoryRateLimiter({ ratePerSecond: 1, burst: 1, now: () => t });
    await l.take('k');
    t = 1_000;
    expect((await l.take('k')).allowed).toBe(false);
    t = 5_999;
    expect((await l.take('k')).allowed).toBe(false);
    t = 6_000;
    expect((await l.take('k')).allowed).toBe(true);
  });

  it('refills of a tenth of a token per call add up to whole tokens (no floating-point shortfall)', async () => {
    let t = 1_000;
    const l = createMemoryRateLimiter({ ratePerSecond: 10, burst: 1, now: () => t });
    await l.take('k');
    for (let i = 0; i < 10; i++) {
      t += 10;
      if (i < 9) expect((await l.take('k')).allowed).toBe(false);
    }
    expect((await l.take('k')).allowed).toBe(true);
  });

  it('at maxKeys forgets only buckets that are full again; partly spent ones keep their debt', async () => {
    let t = 1_000;
    const l = createMemoryRateLimiter({ ratePerSecond: 1, burst: 2, maxKeys: 2, now: () => t });
    await l.take('busy');
    await l.take('busy'); // 0 tokens
    await l.take('idle'); // 1 token
    t += 1_000; // busy back to 1 of 2, idle full
    expect((await l.take('new')).allowed).toBe(true); // at maxKeys: prunes 'idle' only
    expect((await l.take('busy')).allowed).toBe(true);
    expect((await l.take('busy')).allowed).toBe(false); // forgotten, it would have had 2
    expect((await l.take('idle')).remaining).toBe(1); // a forgotten full bucket is a new full bucket
  });
});

describe('openRateLimiter: backends by URI scheme', () => {
  it('is a frozen table of memory, redis and rediss', () => {
    expect(Object.isFrozen(rateLimiters)).toBe(true);
    expect(Object.keys(rateLimiters)).toEqual(['memory', 'redis', 'rediss']);
  });

  it('fails with invalid_config listing the valid forms', async () => {
    const err = await rejection(openRateLimiter('etcd://h', { ratePerSecond: 1, burst: 1 }));
    expect(err.code).toBe('invalid_config');
    expect(err.message).toMatch(/unknown scheme "etcd".*valid: memory, redis:\/\//);
    expect((await rejection(openRateLimiter('memory:x', { ratePerSecond: 1, burst: 1 }))).code).toBe('invalid_config');
  });
});
