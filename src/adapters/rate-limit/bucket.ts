import { IntentOpsError } from '../../core/errors.js';

/** A token bucket: `burst` requests at once, refilled at `ratePerSecond`. */
export interface TokenBucketOptions {
  /** Tokens added per second (> 0; "0 turns limiting off" is the caller's choice, not a bucket). */
  readonly ratePerSecond: number;
  /** Bucket size: requests allowed at once after a quiet spell (a whole number ≥ 1). */
  readonly burst: number;
}

/** Checks the bucket settings, failing with 'invalid_config' naming the one that is wrong. */
export function checkBucket(o: TokenBucketOptions): TokenBucketOptions {
  if (typeof o?.ratePerSecond !== 'number' || !Number.isFinite(o.ratePerSecond) || o.ratePerSecond <= 0) {
    throw new IntentOpsError('invalid_config', `rate limit ratePerSecond must be a number above 0, got ${o?.ratePerSecond}`, {
      where: 'rateLimit.ratePerSecond',
      hint: 'to turn rate limiting off, do not create a limiter',
    });
  }
  if (!Number.isSafeInteger(o.burst) || o.burst < 1) {
    throw new IntentOpsError('invalid_config', `rate limit burst must be a whole number ≥ 1, got ${o.burst}`, { where: 'rateLimit.burst' });
  }
  return { ratePerSecond: o.ratePerSecond, burst: o.burst };
}

export function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw new IntentOpsError('invalid_input', 'rate limit keys must be non-empty strings', { where: 'rate limit key' });
}

export function closedLimiter(backend: string): IntentOpsError {
  return new IntentOpsError('unavailable', `the ${backend} rate limiter is closed`, { where: 'rate limiter', hint: 'open a new limiter; close() ends it for good' });
}
