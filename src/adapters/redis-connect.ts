import type { Redis } from 'ioredis';
import { IntentOpsError } from '../core/errors.js';
import { loadDriver, maskUri } from './uri.js';

/*
 * One way to reach Redis for the cache and the rate limiter. Both sit on the request path, so a
 * Redis that is down or slow must fail a call quickly (one retry, a command timeout) rather than
 * queue it forever; the caller decides whether that is fatal. Once connected, the client keeps
 * reconnecting in the background; a server that is unreachable at start-up fails the open.
 */

export interface RedisConnectOptions {
  /** Milliseconds before a command fails with 'unavailable'. Default 1000. */
  readonly commandTimeoutMs?: number;
  /** Milliseconds to establish the connection. Default 2000. */
  readonly connectTimeoutMs?: number;
}

export const REDIS_START_HINT = 'is Redis running and the URI right? (redis-server --port 6379 starts one locally)';

/** Connects to `uri` (`redis://[:password@]host:port[/db]` or `rediss://` for TLS), or fails with 'unavailable'. */
export async function connectRedis(uri: string, what: string, options: RedisConnectOptions = {}): Promise<Redis> {
  const { Redis } = await loadDriver('ioredis', what, () => import('ioredis'));
  let connected = false;
  let lastError: Error | undefined;
  const client = new Redis(uri, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectTimeout: options.connectTimeoutMs ?? 2000,
    commandTimeout: options.commandTimeoutMs ?? 1000,
    retryStrategy: (times) => (connected ? Math.min(times * 100, 2000) : null),
  });
  // without a listener ioredis prints every reconnect failure; the failing command reports it instead
  client.on('error', (e: Error) => (lastError = e));
  try {
    await client.connect();
    connected = true;
    return client;
  } catch (e) {
    client.disconnect();
    const why = (lastError ?? (e as Error)).message;
    throw new IntentOpsError('unavailable', `cannot reach Redis at ${maskUri(uri)}: ${why}`, { where: what, hint: REDIS_START_HINT, cause: lastError ?? e });
  }
}

/** A failed Redis command as a domain error. */
export function redisError(e: unknown, what: string): IntentOpsError {
  if (e instanceof IntentOpsError) return e;
  return new IntentOpsError('unavailable', `Redis command failed: ${(e as Error).message}`, { where: what, hint: REDIS_START_HINT, cause: e });
}

/** Ends the connection politely, or abruptly when the server is gone. */
export async function closeRedis(client: Redis): Promise<void> {
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}
