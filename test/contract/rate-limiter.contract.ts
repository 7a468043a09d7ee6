import { afterEach, describe, expect, it } from 'vitest';
import type { TokenBucketOptions } from '../../src/adapters/rate-limit/index.js';
import type { RateLimiter } from '../../src/ports/rate-limiter.js';
import { rejection } from '../helpers/sample.js';

/**
 * The behaviour every RateLimiter adapter must share, on real time (the Redis bucket runs on
 * the server's clock). 10 tokens/s = one per 100 ms: slow enough that the few milliseconds a
 * test takes barely refill, fast enough to watch a refill.
 */
export interface RateLimiterHarness {
  /** A new limiter with its own key space. */
  fresh(bucket: TokenBucketOptions): Promise<RateLimiter>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function runRateLimiterContract(name: string, harness: RateLimiterHarness): void {
  describe(`RateLimiter contract: ${name}`, () => {
    const open: RateLimiter[] = [];
    afterEach(async () => {
      for (const l of open.splice(0)) await l.close();
    });
    async function setup(bucket: TokenBucketOptions = { ratePerSecond: 10, burst: 3 }): Promise<RateLimiter> {
      const l = await harness.fresh(bucket);
      open.push(l);
      return l;
    }

    it('allows a burst, then denies with retryAfterMs > 0', async () => {
      const l = await setup();
      const ds = [await l.take('k'), await l.take('k'), await l.take('k')];
      expect(ds.map((d) => d.allowed)).toEqual([true, true, true]);
      expect(ds.map((d) => d.remaining)).toEqual([2, 1, 0]);
      expect(ds.every((d) => d.retryAfterMs === 0)).toBe(true);
      const denied = await l.take('k');
      expect(denied.allowed).toBe(false);
      expect(denied.remaining).toBe(0);
      expect(denied.retryAfterMs).toBeGreaterThan(0);
      expect(denied.retryAfterMs).toBeLessThanOrEqual(100);
    });

    it('refills over time: allowed again once retryAfterMs has passed', async () => {
      // one token per 500 ms: a loaded machine's late timers do not refill a second one
      const l = await setup({ ratePerSecond: 2, burst: 3 });
      for (let i = 0; i < 3; i++) await l.take('k');
      const denied = await l.take('k');
      expect(denied.allowed).toBe(false);
      await sleep(denied.retryAfterMs + 15);
      const d = await l.take('k');
      expect(d.allowed).toBe(true);
      expect(d.remaining).toBe(0);
      expect((await l.take('k')).allowed).toBe(false);
    });

    it('never refills beyond the burst', async () => {
      const l = await setup({ ratePerSecond: 10, burst: 2 });
      await l.take('k');
      await sleep(500); // 5 tokens' worth of time (and 100 ms per token between the takes below)
      expect((await l.take('k')).remaining).toBe(1);
      expect((await l.take('k')).allowed).toBe(true);
      expect((await l.take('k')).allowed).toBe(false);
    });

    it('keys are independent', async () => {
      const l = await setup({ ratePerSecond: 1, burst: 1 });
      expect((await l.take('alice')).allowed).toBe(true);
      expect((await l.take('alice')).allowed).toBe(false);
      expect((await l.take('bob')).allowed).toBe(true);
      expect((await l.take('alice')).retryAfterMs).toBeGreaterThan(900);
    });

    it('concurrent takes never spend more than the burst', async () => {
      const l = await setup({ ratePerSecond: 1, burst: 5 });
      const ds = await Promise.all(Array.from({ length: 20 }, () => l.take('k')));
      expect(ds.filter((d) => d.allowed)).toHaveLength(5);
    });

    it('rejects bad bucket settings with invalid_config', async () => {
      for (const bucket of [{ ratePerSecond: 0, burst: 1 }, { ratePerSecond: -1, burst: 1 }, { ratePerSecond: 1, burst: 0 }, { ratePerSecond: 1, burst: 1.5 }, { ratePerSecond: Number.NaN, burst: 1 }]) {
        expect((await rejection(harness.fresh(bucket))).code).toBe('invalid_config');
      }
    });

    it('close is idempotent and later takes fail with unavailable', async () => {
      const l = await harness.fresh({ ratePerSecond: 1, burst: 1 });
      await l.close();
      await l.close();
      expect((await rejection(l.take('k'))).code).toBe('unavailable');
    });
  });
}
