import { IntentOpsError } from '../../core/errors.js';
import type { Cache } from '../../ports/cache.js';
import { pickByScheme, positiveInt } from '../uri.js';
import type { LruCacheOptions } from './lru.js';
import type { RedisCacheOptions } from './redis.js';

/** Options for openCache; each backend reads its own and ignores the rest. */
export type CacheOptions = LruCacheOptions & RedisCacheOptions;

interface CacheBackend {
  readonly description: string;
  open<V>(rest: string, uri: string, options: CacheOptions): Promise<Cache<V>>;
}

const redis: CacheBackend = {
  description: 'Redis (ioredis), shared by replicas; JSON values with PX expiry under a key prefix',
  open: async (_rest, uri, options) => (await import('./redis.js')).openRedisCache(uri, options),
};

/** Cache backends by URI scheme; ioredis loads only when a redis URI is chosen. */
export const caches = Object.freeze({
  memory: {
    description: 'in-process LRU with per-entry TTL (the default); memory:?max=N sets the entry limit',
    open: async (rest, _uri, options) => (await import('./lru.js')).createLruCache({ ...options, ...memoryParams(rest) }),
  },
  redis,
  rediss: redis,
} satisfies Record<string, CacheBackend>);

export const CACHE_URIS = Object.freeze(['memory', 'memory:?max=N', 'redis://[:PASSWORD@]HOST:PORT[/DB]', 'rediss://… (TLS)']);

/** `?max=N` after `memory:`; anything else is a configuration error that names it. */
function memoryParams(rest: string): LruCacheOptions {
  if (rest === '') return {};
  if (!rest.startsWith('?')) throw new IntentOpsError('invalid_config', `memory cache URI "memory:${rest}": expected memory or memory:?max=N`, { where: 'cache' });
  const out: { max?: number } = {};
  for (const [k, v] of new URLSearchParams(rest.slice(1))) {
    if (k !== 'max') throw new IntentOpsError('invalid_config', `memory cache URI: unknown parameter "${k}"; valid: max`, { where: 'cache', hint: 'e.g. memory:?max=10000' });
    out.max = positiveInt(v, 'max', 'cache');
  }
  return out;
}

/**
 * Opens the answer cache named by `uri`: `memory` (in-process LRU, default), `memory:?max=10000`,
 * `redis://host:6379/0` or `rediss://…`. An unknown scheme fails with 'invalid_config' listing these.
 *
 * @example
 * const cache = await openCache<{ intent: string }>('memory:?max=5000');
 * await cache.set(key, { intent: 'billing' }, 3_600_000);
 */
export async function openCache<V>(uri: string, options: CacheOptions = {}): Promise<Cache<V>> {
  const { entry, rest } = pickByScheme(caches, uri, 'cache', CACHE_URIS);
  return entry.open<V>(rest, uri, options);
}
