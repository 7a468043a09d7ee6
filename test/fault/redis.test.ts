/**
 * Fault injection: Redis (answer cache + shared rate limiter) goes away while a server answers.
 * The real Redis on this machine is reached through a TCP proxy the test cuts and restores.
 * Promised: no request fails or waits on Redis once it is known to be away (cache bypassed, rate
 * limit decided per replica), /readyz stays 200 (degraded, naming them), /metrics shows it, and
 * Redis is used again within a few seconds of coming back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCache } from '../../src/adapters/cache/index.js';
import { openRateLimiter } from '../../src/adapters/rate-limit/index.js';
import type { RedisHealth } from '../../src/adapters/redis-connect.js';
import { hashKey } from '../../src/app/http/index.js';
import { deleteRedisKeys, REDIS_URL, requireRedis, uniqueId } from '../helpers/real-services.js';
import { CONFIDENT, metric, testServing, UNSURE, type TestServing } from '../helpers/serving.js';
import { TcpProxy, type CutMode } from '../helpers/tcp-proxy.js';

/** Recovery promise: Redis is used again within this long after it is back (probe every second + reconnect back-off ≤ 2 s). */
const RECOVERY_MS = 10_000;

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = RECOVERY_MS): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const health = (x: unknown) => (x as { health(): RedisHealth }).health();

describe('Redis away: the adapters fail fast and degrade', () => {
  const prefix = `intentops:test:${uniqueId()}:`;
  afterAll(() => deleteRedisKeys(prefix));

  it.each(['reset', 'blackhole'] as CutMode[])('%s: the cache misses and skips writes at once, then is used again', async (mode) => {
    await requireRedis();
    const { proxy, url } = await TcpProxy.forUrl(REDIS_URL, 6379);
    const cache = await openCache<{ n: number }>(url, { keyPrefix: `${prefix}c:${mode}:`, probeMs: 100, commandTimeoutMs: 2000 });
    try {
      await cache.set('k', { n: 1 }, 60_000);
      expect(await cache.get('k')).toEqual({ n: 1 });
      proxy.cut(mode);
      // the call that finds Redis away fails (within the command timeout); it is the only one
      await cache.get('k').catch(() => undefined);
      expect(health(cache).up).toBe(false);
      for (let i = 0; i < 50; i++) expect(await cache.get('k')).toBeUndefined();
      await cache.set('k2', { n: 2 }, 60_000);
      expect(health(cache).degraded).toBe(51);
      proxy.restore();
      await until('the cache to use Redis again', () => health(cache).up);
      expect(await cache.get('k')).toEqual({ n: 1 });
    } finally {
      await cache.close();
      await proxy.close();
    }
  });

  it('the rate limiter falls back to a bucket per replica (same rate and burst), then shares Redis again', async () => {
    await requireRedis();
    const { proxy, url } = await TcpProxy.forUrl(REDIS_URL, 6379);
    const limiter = await openRateLimiter(url, { ratePerSecond: 0.001, burst: 3, keyPrefix: `${prefix}r:`, probeMs: 100, commandTimeoutMs: 2000 });
    try {
      expect((await limiter.take('a')).allowed).toBe(true); // 2 left in Redis
      proxy.cut('reset');
      const local = [];
      for (let i = 0; i < 5; i++) local.push((await limiter.take('a')).allowed);
      // the local bucket starts full: burst 3, then refused (with a Retry-After)
      expect(local).toEqual([true, true, true, false, false]);
      expect(health(limiter)).toEqual({ up: false, degraded: 5 });
      proxy.restore();
      await until('the limiter to use Redis again', () => health(limiter).up);
      // Redis kept its own count: 2 left there
      expect([(await limiter.take('a')).allowed, (await limiter.take('a')).allowed, (await limiter.take('a')).allowed]).toEqual([true, true, false]);
    } finally {
      await limiter.close();
      await proxy.close();
    }
  });
});

describe('a server whose Redis goes away under load', () => {
  const KEY = 'sk-fault-redis';
  let proxy: TcpProxy;
  let s: TestServing;
  beforeAll(async () => {
    await requireRedis();
    const p = await TcpProxy.forUrl(REDIS_URL, 6379);
    proxy = p.proxy;
    s = await testServing({
      flags: {
        cache: { uri: p.url },
        server: { apiKeys: [{ name: 'load', sha256: hashKey(KEY) }], rateLimit: { uri: p.url, ratePerSecond: 10_000, burst: 10_000 } },
      },
    });
  });
  afterAll(async () => {
    await s?.close();
    await proxy?.close();
    // the server's cache and bucket keys (default prefixes, shared with other tests) expire by themselves
  });

  it('answers every request (no 5xx), stays ready (degraded), shows it in /metrics, and uses Redis again once it is back', async () => {
    const auth = { authorization: `Bearer ${KEY}` };
    const send = async (n: number) => {
      const statuses: number[] = [];
      for (let i = 0; i < n; i += 20) {
        const batch = await Promise.all(Array.from({ length: Math.min(20, n - i) }, (_, j) => s.post('/v1/classify', { text: (i + j) % 3 ? CONFIDENT : `${UNSURE} ${i + j}` }, auth)));
        statuses.push(...batch.map((r) => r.status));
      }
      return statuses;
    };
    expect(new Set(await send(60))).toEqual(new Set([200]));
    proxy.cut('blackhole');
    const during = await send(200);
    expect(during.filter((x) => x !== 200)).toEqual([]);
    const ready = await s.get('/readyz');
    expect(ready.status).toBe(200);
    const body = await ready.json();
    expect(body.status).toBe('degraded');
    expect(body.degraded).toEqual(expect.arrayContaining(['cache', 'rateLimiter']));
    let m = await (await s.get('/metrics')).text();
    expect(metric(m, 'intentops_dependency_up{dependency="cache"}')).toBe(0);
    expect(metric(m, 'intentops_dependency_up{dependency="rate_limiter"}')).toBe(0);
    expect(metric(m, 'intentops_cache_bypassed_total')).toBeGreaterThan(150);
    expect(metric(m, 'intentops_rate_limit_fallback_total')).toBeGreaterThanOrEqual(199);
    proxy.restore();
    await until('Redis to be used again', async () => {
      m = await (await s.get('/metrics')).text();
      return metric(m, 'intentops_dependency_up{dependency="cache"}') === 1 && metric(m, 'intentops_dependency_up{dependency="rate_limiter"}') === 1;
    });
    expect(new Set(await send(40))).toEqual(new Set([200]));
    expect((await (await s.get('/readyz')).json()).status).toBe('ready');
  });
});
