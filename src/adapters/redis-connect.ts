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
  /** Milliseconds before a command fails with 'unavailable'. Default 500. */
  readonly commandTimeoutMs?: number;
  /** Milliseconds to establish the connection. Default 2000. */
  readonly connectTimeoutMs?: number;
  /** While Redis is known to be away, how often it is probed (PING). Default 1000. */
  readonly probeMs?: number;
  /** Told when Redis goes away (a command failed) and when a probe finds it back. */
  readonly onState?: (up: boolean, detail: { what: string; error?: string }) => void;
}

/** What a Redis-backed adapter reports about its server (the degraded-mode figures in /metrics). */
export interface RedisHealth {
  /** False while Redis is known to be away: calls do not wait on it. */
  readonly up: boolean;
  /** Calls answered without Redis (bypassed or decided locally) while it was away. */
  readonly degraded: number;
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
    commandTimeout: options.commandTimeoutMs ?? 500,
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

/**
 * A circuit breaker around one Redis client: the first command that fails (timeout, lost
 * connection) marks Redis away; from then on `run` fails at once (no request waits on a server
 * already known to be down) until a PING every probeMs answers again. A client that is
 * reconnecting counts as away too.
 *
 * @example
 * const breaker = new RedisBreaker(client, 'cache (redis)');
 * const v = breaker.up ? await breaker.run(() => client.get(key)) : undefined;
 */
export class RedisBreaker {
  private isUp = true;
  private probe: NodeJS.Timeout | undefined;
  private probing = false;
  private stopped = false;

  constructor(
    private readonly client: Redis,
    private readonly what: string,
    private readonly o: Pick<RedisConnectOptions, 'probeMs' | 'onState'> = {},
  ) {}

  /** False while Redis is known to be away (or the client is reconnecting). */
  get up(): boolean {
    if (this.isUp && this.client.status !== 'ready' && this.client.status !== 'connect') this.trip(`connection ${this.client.status}`);
    return this.isUp;
  }

  /** Runs a command; fails with 'unavailable' at once while Redis is away, and trips the breaker when the command fails. */
  async run<T>(command: () => Promise<T>): Promise<T> {
    if (!this.up) throw new IntentOpsError('unavailable', `Redis is unreachable (${this.what}); retried every ${this.o.probeMs ?? 1000} ms`, { where: this.what, hint: REDIS_START_HINT });
    try {
      return await command();
    } catch (e) {
      const err = redisError(e, this.what);
      if (!/NOSCRIPT|WRONGTYPE|ERR /.test(err.message)) this.trip(err.message);
      throw err;
    }
  }

  private trip(error: string): void {
    if (!this.isUp || this.stopped) return;
    this.isUp = false;
    this.o.onState?.(false, { what: this.what, error });
    this.probe = setInterval(() => void this.tryProbe(), this.o.probeMs ?? 1000);
    this.probe.unref();
  }

  private async tryProbe(): Promise<void> {
    if (this.probing || this.client.status !== 'ready') return;
    this.probing = true;
    try {
      await this.client.ping();
      clearInterval(this.probe);
      this.probe = undefined;
      this.isUp = true;
      this.o.onState?.(true, { what: this.what });
    } catch {
      // still away: the next probe tries again
    } finally {
      this.probing = false;
    }
  }

  /** Stops probing (the client is being closed). */
  stop(): void {
    this.stopped = true;
    clearInterval(this.probe);
    this.probe = undefined;
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
