import type { Redis } from 'ioredis';
import type { Cache } from '../../ports/cache.js';
import { closeRedis, connectRedis, redisError, type RedisConnectOptions } from '../redis-connect.js';
import { checkEntry, closedCache } from './checks.js';

export interface RedisCacheOptions extends RedisConnectOptions {
  /** Prepended to every key, so one Redis can serve several deployments. Default `intentops:cache:`. */
  readonly keyPrefix?: string;
}

export const DEFAULT_CACHE_PREFIX = 'intentops:cache:';
const WHERE = 'cache (redis)';

/*
 * Values are JSON text with a PX expiry set atomically by the same SET. An entry that is not
 * valid JSON (written by something else under our prefix) reads as a miss: a cache must never
 * turn a stray byte into a failed request.
 */
class RedisCache<V> implements Cache<V> {
  private closed = false;

  constructor(
    private readonly client: Redis,
    private readonly prefix: string,
  ) {}

  async get(key: string): Promise<V | undefined> {
    if (this.closed) throw closedCache('redis');
    let s: string | null;
    try {
      s = await this.client.get(this.prefix + key);
    } catch (e) {
      throw redisError(e, WHERE);
    }
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
    try {
      await this.client.set(this.prefix + key, json, 'PX', ttlMs);
    } catch (e) {
      throw redisError(e, WHERE);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
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
  return new RedisCache<V>(client, options.keyPrefix ?? DEFAULT_CACHE_PREFIX);
}
