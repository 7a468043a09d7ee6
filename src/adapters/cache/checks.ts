import { IntentOpsError } from '../../core/errors.js';

/** The JSON text to store, after checking key, value and TTL the same way for every backend. */
export function checkEntry(key: string, value: unknown, ttlMs: number): string {
  if (typeof key !== 'string' || key.length === 0) throw new IntentOpsError('invalid_input', 'cache keys must be non-empty strings', { where: 'cache key' });
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
    throw new IntentOpsError('invalid_input', `cache TTL must be a positive whole number of milliseconds, got ${ttlMs}`, { where: 'cache ttlMs' });
  }
  const json = JSON.stringify(value);
  if (json === undefined) throw new IntentOpsError('invalid_input', `cache values must be JSON-serialisable, got ${typeof value}`, { where: 'cache value' });
  return json;
}

export function closedCache(backend: string): IntentOpsError {
  return new IntentOpsError('unavailable', `the ${backend} cache is closed`, { where: 'cache', hint: 'open a new cache; close() ends it for good' });
}
