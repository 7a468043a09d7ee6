import type { Redis } from 'ioredis';
import type { Cache } from '../../ports/cache.js';
import { closeRedis, connectRedis, RedisBreaker, type RedisConnectOptions, type RedisHealth } from '../redis-connect.js';
import { checkEntry, closedCache } from './checks.js';

export interface RedisCacheOptions extends RedisConnectOptions {
  /** Prepended to every key, so one Redis can serve several deployments. Default `intentops:cache:`. */
  readonly keyPrefix?: string;
}

export const DEFAULT_CACHE_PREFIX = 'intentops:cache:';
const WHERE = 'cache (redis)';

/*
 * A cache must never make a request slower than no cache: while Redis is away (RedisBreaker) reads
 * miss and writes are skipped at once, counted in health(). Values are JSON text with a PX expiry set atomically by the same SET. An entry that is not
 * valid JSON (written by something else under our prefix) reads as a miss: a cache must never
 * turn a stray byte into a failed request.
 */
class RedisCache<V> implements Cache<V> {
  private closed = false;
  private bypassed = 0;

  constructor(
    private readonly client: Redis,
    private readonly prefix: string,
    private readonly breaker: RedisBreaker,
  ) {}

  /** While Redis is known to be away the cache is bypassed: reads miss, writes are skipped (counted). */
  health(): RedisHealth {
    return { up: this.breaker.up, degraded: this.bypassed };
  }

  async get(key: string): Promise<V | undefined> {
    if (this.closed) throw closedCache('redis');
    if (!this.breaker.up) {
      this.bypassed++;
      return undefined;
    }
    const s = await this.breaker.run(() => this.client.get(this.prefix + key));
    if (s === null) return undefined;
    try {
      return JSON.parse(s) as V;
    } catch {
      return undefined;
    }
  }

  async set(key: string, value: V, ttlMs: number): Promise<void> {
    if (this.closed) throw closedCache('redis');
    const json = checkEntry(key, value, ttlMs);
    if (!this.breaker.up) {
      this.bypassed++;
      return;
    }
    await this.breaker.run(() => this.client.set(this.prefix + key, json, 'PX', ttlMs));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.breaker.stop();
    await closeRedis(this.client);
  }
}

/**
 * A cache in Redis at `uri`, shared by every replica.
 *
 * @example
 * const cache = await openRedisCache<{ intent: string }>('redis://127.0.0.1:6379/0');
 * await cache.set('sha256:ab12…', { intent: 'billing' }, 60_000);
 * await cache.close();
 */
export async function openRedisCache<V>(uri: string, options: RedisCacheOptions = {}): Promise<Cache<V>> {
  const client = await connectRedis(uri, WHERE, options);
  return new RedisCache<V>(client, options.keyPrefix ?? DEFAULT_CACHE_PREFIX, new RedisBreaker(client, WHERE, options));
}
