import { LRUCache } from 'lru-cache';
import type { Cache } from '../../ports/cache.js';
import { checkEntry, closedCache } from './checks.js';

export interface LruCacheOptions {
  /** Entries kept; the least recently used go first. Default 10,000. */
  readonly max?: number;
  /** Milliseconds on any monotonic scale, for TTLs (tests inject a fake; must not start at 0). */
  readonly now?: () => number;
}

export const DEFAULT_LRU_MAX = 10_000;

/*
 * Values are kept as JSON text, not object references: a hit is a fresh copy the caller may
 * mutate, and the in-memory cache behaves exactly like Redis (Dates become strings, undefined
 * fields vanish), so switching backends changes nothing but where the bytes live.
 */
class LruCache<V> implements Cache<V> {
  private readonly lru: LRUCache<string, string>;
  private closed = false;

  constructor(options: LruCacheOptions) {
    this.lru = new LRUCache<string, string>({
      max: options.max ?? DEFAULT_LRU_MAX,
      // lru-cache memoises now() for 1 ms by default: an injected clock must be read every time
      ...(options.now && { perf: { now: options.now }, ttlResolution: 0 }),
    });
  }

  async get(key: string): Promise<V | undefined> {
    if (this.closed) throw closedCache('memory');
    const s = this.lru.get(key);
    return s === undefined ? undefined : (JSON.parse(s) as V);
  }

  async set(key: string, value: V, ttlMs: number): Promise<void> {
    if (this.closed) throw closedCache('memory');
    this.lru.set(key, checkEntry(key, value, ttlMs), { ttl: ttlMs });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.lru.clear();
  }
}

/**
 * An in-process LRU cache with per-entry TTL.
 *
 * @example
 * const cache = createLruCache<{ intent: string }>({ max: 1000 });
 * await cache.set('sha256:ab12…', { intent: 'billing' }, 60_000);
 * await cache.get('sha256:ab12…'); // { intent: 'billing' }
 */
export function createLruCache<V>(options: LruCacheOptions = {}): Cache<V> {
  return new LruCache<V>(options);
}
