/**
 * A TTL cache of classification answers. Keys are hashes (never secrets or raw text); values
 * are JSON-serialisable. Adapters: in-memory LRU (default), Redis.
 */
export interface Cache<V> {
  get(key: string): Promise<V | undefined>;
  set(key: string, value: V, ttlMs: number): Promise<void>;
  close(): Promise<void>;
}
