import type { RateDecision, RateLimiter } from '../../ports/rate-limiter.js';
import { checkBucket, checkKey, closedLimiter, type TokenBucketOptions } from './bucket.js';

export interface MemoryRateLimiterOptions extends TokenBucketOptions {
  /** Milliseconds on a monotonic scale. Default performance.now (immune to wall-clock jumps). */
  readonly now?: () => number;
  /** Above this many keys, buckets that have refilled to full are forgotten (a full bucket equals no bucket). Default 100,000. */
  readonly maxKeys?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

// refills computed in floating point land a hair under a whole token; that hair is not a denial
const EPSILON = 1e-9;

class MemoryRateLimiter implements RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;
  private readonly burst: number;
  private readonly now: () => number;
  private readonly maxKeys: number;
  private closed = false;

  constructor(options: MemoryRateLimiterOptions) {
    const { ratePerSecond, burst } = checkBucket(options);
    this.perMs = ratePerSecond / 1000;
    this.burst = burst;
    this.now = options.now ?? (() => performance.now());
    this.maxKeys = options.maxKeys ?? 100_000;
  }

  async take(key: string): Promise<RateDecision> {
    if (this.closed) throw closedLimiter('memory');
    checkKey(key);
    const t = this.now();
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.maxKeys) this.prune(t);
      b = { tokens: this.burst, at: t };
      this.buckets.set(key, b);
    } else if (t > b.at) {
      b.tokens = Math.min(this.burst, b.tokens + (t - b.at) * this.perMs);
      b.at = t;
    }
    if (b.tokens >= 1 - EPSILON) {
      b.tokens = Math.max(0, b.tokens - 1);
      return { allowed: true, retryAfterMs: 0, remaining: Math.floor(b.tokens + EPSILON) };
    }
    return { allowed: false, retryAfterMs: Math.max(1, Math.ceil((1 - b.tokens) / this.perMs)), remaining: 0 };
  }

  private prune(t: number): void {
    for (const [k, b] of this.buckets) if (b.tokens + (t - b.at) * this.perMs >= this.burst) this.buckets.delete(k);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.buckets.clear();
  }
}

/**
 * A per-key token bucket in this process (the default; each replica counts on its own).
 *
 * @example
 * const limiter = createMemoryRateLimiter({ ratePerSecond: 50, burst: 100 });
 * const { allowed, retryAfterMs } = await limiter.take('key:alice');
 */
export function createMemoryRateLimiter(options: MemoryRateLimiterOptions): RateLimiter {
  return new MemoryRateLimiter(options);
}
