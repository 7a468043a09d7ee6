import { IntentOpsError } from '../../core/errors.js';
import type { RateLimiter } from '../../ports/rate-limiter.js';
import { pickByScheme } from '../uri.js';
import type { TokenBucketOptions } from './bucket.js';
import type { MemoryRateLimiterOptions } from './memory.js';
import type { RedisRateLimiterOptions } from './redis.js';

/** Bucket settings plus what either backend reads (`now`, `maxKeys` in memory; `keyPrefix`, timeouts in Redis). */
export type RateLimiterOptions = MemoryRateLimiterOptions & Partial<Omit<RedisRateLimiterOptions, keyof TokenBucketOptions>>;

interface RateLimiterBackend {
  readonly description: string;
  open(rest: string, uri: string, options: RateLimiterOptions): Promise<RateLimiter>;
}

const redis: RateLimiterBackend = {
  description: 'token buckets in Redis (one Lua script per take), shared atomically by replicas',
  open: async (_rest, uri, options) => (await import('./redis.js')).openRedisRateLimiter(uri, options),
};

/** Rate limiter backends by URI scheme; ioredis loads only when a redis URI is chosen. */
export const rateLimiters = Object.freeze({
  memory: {
    description: 'token buckets in this process (the default; each replica counts on its own)',
    open: async (rest, _uri, options) => {
      if (rest !== '') throw new IntentOpsError('invalid_config', `rate limiter URI "memory:${rest}": memory takes no parameters`, { where: 'rateLimit.uri', hint: 'write memory' });
      return (await import('./memory.js')).createMemoryRateLimiter(options);
    },
  },
  redis,
  rediss: redis,
} satisfies Record<string, RateLimiterBackend>);

export const RATE_LIMITER_URIS = Object.freeze(['memory', 'redis://[:PASSWORD@]HOST:PORT[/DB]', 'rediss://… (TLS)']);

/**
 * Opens the per-key rate limiter named by `uri` (`memory` or `redis://…`) with the given bucket.
 * An unknown scheme fails with 'invalid_config' listing the valid ones.
 *
 * @example
 * const limiter = await openRateLimiter('memory', { ratePerSecond: 50, burst: 100 });
 * const d = await limiter.take('key:alice');
 * if (!d.allowed) console.log(`retry in ${Math.ceil(d.retryAfterMs / 1000)} s`);
 */
export async function openRateLimiter(uri: string, options: RateLimiterOptions): Promise<RateLimiter> {
  const { entry, rest } = pickByScheme(rateLimiters, uri, 'rate limiter', RATE_LIMITER_URIS);
  return entry.open(rest, uri, options);
}

export type { TokenBucketOptions } from './bucket.js';
