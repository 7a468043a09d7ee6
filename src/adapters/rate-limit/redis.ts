import type { Redis } from 'ioredis';
import type { RateDecision, RateLimiter } from '../../ports/rate-limiter.js';
import { closeRedis, connectRedis, RedisBreaker, type RedisConnectOptions, type RedisHealth } from '../redis-connect.js';
import { checkBucket, checkKey, closedLimiter, type TokenBucketOptions } from './bucket.js';
import { createMemoryRateLimiter } from './memory.js';

export interface RedisRateLimiterOptions extends TokenBucketOptions, RedisConnectOptions {
  /** Prepended to every bucket key. Default `intentops:ratelimit:`. */
  readonly keyPrefix?: string;
}

export const DEFAULT_RATE_LIMIT_PREFIX = 'intentops:ratelimit:';
const WHERE = 'rate limiter (redis)';

/*
 * The bucket math of memory.ts, run inside Redis as one script so replicas share a bucket and
 * read-refill-take-write is atomic. Time is the Redis server's (TIME), not the replicas', so
 * their clock skew cannot mint tokens. A bucket that has refilled to full expires: a missing key
 * is a full bucket. Redis >= 5 replicates the script's effects, which makes TIME safe here.
 *
 * KEYS[1] bucket; ARGV[1] tokens per ms; ARGV[2] burst. Returns {allowed 0|1, retryAfterMs, remaining}.
 */
const TAKE = `
local perMs = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1])
local at = tonumber(b[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
elseif now > at then
  tokens = math.min(burst, tokens + (now - at) * perMs)
  at = now
end
local allowed = 0
local retry = 0
if tokens >= 1 - 1e-9 then
  tokens = math.max(0, tokens - 1)
  allowed = 1
else
  retry = math.max(1, math.ceil((1 - tokens) / perMs))
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'at', at)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / perMs) + 1000)
return {allowed, retry, math.floor(tokens + 1e-9)}
`;

type TakeScript = (key: string, perMs: string, burst: string) => Promise<[number, number, number]>;

/*
 * While Redis is away the decision is taken by a token bucket in this process with the same rate
 * and burst (the documented fallback): requests keep being answered and one client still cannot
 * flood a replica, but each replica counts on its own meanwhile, so a fleet of N replicas lets up
 * to N times the limit through until Redis is back.
 */
class RedisRateLimiter implements RateLimiter {
  private closed = false;
  private readonly perMs: string;
  private readonly burst: string;
  private readonly local: RateLimiter;
  private fallbacks = 0;

  constructor(
    private readonly client: Redis & { intentopsTakeToken: TakeScript },
    private readonly prefix: string,
    bucket: TokenBucketOptions,
    private readonly breaker: RedisBreaker,
  ) {
    this.perMs = String(bucket.ratePerSecond / 1000);
    this.burst = String(bucket.burst);
    this.local = createMemoryRateLimiter(bucket);
  }

  health(): RedisHealth {
    return { up: this.breaker.up, degraded: this.fallbacks };
  }

  async take(key: string): Promise<RateDecision> {
    if (this.closed) throw closedLimiter('redis');
    checkKey(key);
    if (this.breaker.up) {
      try {
        const [allowed, retryAfterMs, remaining] = await this.breaker.run(() => this.client.intentopsTakeToken(this.prefix + key, this.perMs, this.burst));
        return { allowed: allowed === 1, retryAfterMs, remaining };
      } catch (e) {
        if (this.breaker.up) throw e; // a script error, not an outage
      }
    }
    this.fallbacks++;
    return this.local.take(key);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.breaker.stop();
    await this.local.close();
    await closeRedis(this.client);
  }
}

/**
 * A per-key token bucket in Redis at `uri`, shared atomically by every replica.
 *
 * @example
 * const limiter = await openRedisRateLimiter('redis://127.0.0.1:6379/0', { ratePerSecond: 50, burst: 100 });
 * const d = await limiter.take('key:alice'); // { allowed, retryAfterMs, remaining }
 */
export async function openRedisRateLimiter(uri: string, options: RedisRateLimiterOptions): Promise<RateLimiter> {
  const bucket = checkBucket(options);
  const client = await connectRedis(uri, WHERE, options);
  // defineCommand sends EVALSHA and falls back to EVAL after a NOSCRIPT (e.g. a Redis restart)
  client.defineCommand('intentopsTakeToken', { numberOfKeys: 1, lua: TAKE });
  return new RedisRateLimiter(client as Redis & { intentopsTakeToken: TakeScript }, options.keyPrefix ?? DEFAULT_RATE_LIMIT_PREFIX, bucket, new RedisBreaker(client, WHERE, options));
}
