import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import type { RateLimiter } from '../../ports/rate-limiter.js';
import type { Logger } from '../telemetry/index.js';
import { RepeatedLog } from '../telemetry/logger.js';
import { HttpProblem } from './problem.js';
import type { Env } from './types.js';

export interface ApiKey {
  readonly name: string;
  /** sha256 hex of the key; the key itself is never stored or configured. */
  readonly sha256: string;
}

/** What `intentops dev hash-key KEY` prints and `server.apiKeys[].sha256` holds. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

const REALM = 'Bearer realm="intentops"';

export interface FailureLimit {
  /** Failed attempts allowed per client address within the window; 0 = no limit. */
  readonly max: number;
  readonly windowSeconds: number;
}

/**
 * Failed API-key attempts per client address in fixed windows: once an address has used up
 * `max` within a window, it is refused (429) until the window ends, whatever key it sends, so
 * keys cannot be guessed faster than `max` per window. At most `maxAddresses` are tracked (the
 * oldest window is forgotten first): memory stays bounded under a spray of addresses.
 */
export class FailedAuthThrottle {
  private readonly windows = new Map<string, { start: number; failures: number }>();

  constructor(
    private readonly limit: FailureLimit,
    private readonly now: () => number = Date.now,
    private readonly maxAddresses = 10_000,
  ) {}

  /** Milliseconds until `address` may try again; 0 when it may now. */
  blockedFor(address: string): number {
    const w = this.windows.get(address);
    if (!w || this.limit.max <= 0 || w.failures < this.limit.max) return 0;
    const left = w.start + this.limit.windowSeconds * 1000 - this.now();
    if (left > 0) return left;
    this.windows.delete(address);
    return 0;
  }

  failed(address: string): void {
    if (this.limit.max <= 0) return;
    const t = this.now();
    let w = this.windows.get(address);
    if (!w || t - w.start >= this.limit.windowSeconds * 1000) {
      this.windows.delete(address);
      if (this.windows.size >= this.maxAddresses) this.windows.delete(this.windows.keys().next().value!);
      w = { start: t, failures: 0 };
      this.windows.set(address, w);
    }
    w.failures++;
  }

  get tracked(): number {
    return this.windows.size;
  }
}

/** The peer address of the connection (@hono/node-server passes the Node request as `c.env.incoming`). */
export function clientAddress(c: Context): string {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress ?? 'unknown';
}

/**
 * API key authentication: `Authorization: Bearer KEY` or `x-api-key: KEY`, compared by sha256
 * (constant time over the digests). No header → 401 with WWW-Authenticate; an unknown key → 401
 * with `error="invalid_token"` (RFC 6750: a key we do not know authenticates nobody; 403 is
 * kept for a known key that lacks a permission, which this API does not have yet).
 * Unknown keys are counted per client address (`failures`): past the limit that address gets
 * 429 with Retry-After until its window ends. With no keys configured, everyone is `anonymous`.
 */
export function apiKeyAuth(keys: readonly ApiKey[], failures: FailureLimit = { max: 10, windowSeconds: 60 }, log?: Logger): MiddlewareHandler<Env> {
  const table = keys.map((k) => ({ name: k.name, digest: Buffer.from(k.sha256.toLowerCase(), 'hex') }));
  const throttle = new FailedAuthThrottle(failures);
  const repeated = log ? new RepeatedLog(log) : undefined;
  return async (c, next) => {
    if (table.length === 0) {
      c.set('principal', 'anonymous');
      return next();
    }
    const address = clientAddress(c);
    const wait = throttle.blockedFor(address);
    if (wait > 0) {
      const seconds = Math.max(1, Math.ceil(wait / 1000));
      throw new HttpProblem(429, 'too-many-failed-keys', `too many requests with an invalid API key from this address (${failures.max} in ${failures.windowSeconds} s, server.authFailures): retry after ${seconds} s with a valid key`, {
        headers: { 'retry-after': String(seconds) },
      });
    }
    const key = presentedKey(c.req.header('authorization'), c.req.header('x-api-key'));
    if (!key) {
      throw new HttpProblem(401, 'unauthorized', 'an API key is required: send `Authorization: Bearer <key>` or `x-api-key: <key>`', { headers: { 'www-authenticate': REALM } });
    }
    const digest = createHash('sha256').update(key, 'utf8').digest();
    let found: string | undefined;
    for (const k of table) if (k.digest.length === digest.length && timingSafeEqual(k.digest, digest)) found ??= k.name;
    if (!found) {
      throttle.failed(address);
      repeated?.warn('invalid-key', { address }, 'request with an invalid API key');
      throw new HttpProblem(401, 'invalid-api-key', 'the API key is not valid: check it, or ask an operator to add its sha256 to server.apiKeys', {
        headers: { 'www-authenticate': `${REALM}, error="invalid_token"` },
      });
    }
    c.set('principal', found);
    return next();
  };
}

function presentedKey(authorization: string | undefined, xApiKey: string | undefined): string | undefined {
  const m = authorization ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
  return m?.[1] ?? (xApiKey?.trim() || undefined);
}

/**
 * Per-principal token bucket: over budget → 429 with Retry-After (whole seconds, at least 1).
 * A limiter that cannot be reached lets the request through (logged): an outage of the limit
 * store must not take the classifier down with it.
 */
export function rateLimit(limiter: RateLimiter, log: Logger): MiddlewareHandler<Env> {
  const repeated = new RepeatedLog(log);
  return async (c, next) => {
    const who = c.get('principal') ?? 'anonymous';
    let d;
    try {
      d = await limiter.take(`key:${who}`);
    } catch (e) {
      repeated.warn('rate-limiter', { requestId: c.get('requestId'), err: (e as Error).message }, 'rate limiter unavailable; request let through');
      return next();
    }
    if (!d.allowed) {
      const seconds = Math.max(1, Math.ceil(d.retryAfterMs / 1000));
      throw new HttpProblem(429, 'rate-limited', `rate limit exceeded for API key "${who}": retry after ${seconds} s`, {
        headers: { 'retry-after': String(seconds), 'ratelimit-remaining': '0' },
      });
    }
    await next();
    c.header('ratelimit-remaining', String(Math.max(0, Math.floor(d.remaining))));
  };
}
