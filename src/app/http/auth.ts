import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { RateLimiter } from '../../ports/rate-limiter.js';
import type { Logger } from '../telemetry/index.js';
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

/**
 * API key authentication: `Authorization: Bearer KEY` or `x-api-key: KEY`, compared by sha256
 * (constant time over the digests). No header → 401 with WWW-Authenticate; an unknown key → 401
 * with `error="invalid_token"` (RFC 6750: a key we do not know authenticates nobody; 403 is
 * kept for a known key that lacks a permission, which this API does not have yet).
 * With no keys configured, everyone is `anonymous`.
 */
export function apiKeyAuth(keys: readonly ApiKey[]): MiddlewareHandler<Env> {
  const table = keys.map((k) => ({ name: k.name, digest: Buffer.from(k.sha256.toLowerCase(), 'hex') }));
  return async (c, next) => {
    if (table.length === 0) {
      c.set('principal', 'anonymous');
      return next();
    }
    const key = presentedKey(c.req.header('authorization'), c.req.header('x-api-key'));
    if (!key) {
      throw new HttpProblem(401, 'unauthorized', 'an API key is required: send `Authorization: Bearer <key>` or `x-api-key: <key>`', { headers: { 'www-authenticate': REALM } });
    }
    const digest = createHash('sha256').update(key, 'utf8').digest();
    let found: string | undefined;
    for (const k of table) if (k.digest.length === digest.length && timingSafeEqual(k.digest, digest)) found ??= k.name;
    if (!found) {
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
  return async (c, next) => {
    const who = c.get('principal') ?? 'anonymous';
    let d;
    try {
      d = await limiter.take(`key:${who}`);
    } catch (e) {
      log.warn({ requestId: c.get('requestId'), err: (e as Error).message }, 'rate limiter unavailable; request let through');
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
