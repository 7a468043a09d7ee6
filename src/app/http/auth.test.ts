import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIDENT, testServing, type TestServing } from '../../../test/helpers/serving.js';
import { FailedAuthThrottle, hashKey } from './auth.js';
import { listen } from './server.js';

const ALICE = 'sk-alice-0123456789abcdef';
const BOB = 'sk-bob-fedcba9876543210';

describe('API keys', () => {
  let s: TestServing;
  beforeAll(async () => {
    s = await testServing({
      flags: { server: { apiKeys: [{ name: 'alice', sha256: hashKey(ALICE) }], rateLimit: { ratePerSecond: 0.5, burst: 3 } } },
    });
  });
  afterAll(() => s.close());

  it('hashKey is the sha256 hex that config stores', () => {
    expect(hashKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('a missing key: 401 with WWW-Authenticate and how to send one', async () => {
    const res = await s.post('/v1/classify', { text: CONFIDENT });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="intentops"');
    const p = await res.json();
    expect(p.detail).toMatch(/send `Authorization: Bearer <key>` or `x-api-key: <key>`/);
    expect((await s.get('/v1/intents')).status).toBe(401);
  });

  it('an unknown key: 401 with error="invalid_token"', async () => {
    const cases: Record<string, string>[] = [{ authorization: 'Bearer sk-wrong' }, { 'x-api-key': 'sk-wrong' }, { authorization: `Basic ${ALICE}` }];
    for (const headers of cases) {
      const res = await s.post('/v1/classify', { text: CONFIDENT }, headers);
      expect(res.status).toBe(401);
      if (!headers.authorization?.startsWith('Basic')) {
        expect(res.headers.get('www-authenticate')).toBe('Bearer realm="intentops", error="invalid_token"');
        expect((await res.json()).detail).toMatch(/API key is not valid/);
      }
    }
  });

  it('accepts a configured key as a bearer token or as x-api-key', async () => {
    const a = await s.post('/v1/classify', { text: CONFIDENT }, { authorization: `Bearer ${ALICE}` });
    expect(a.status).toBe(200);
    const b = await s.get('/v1/intents', { 'x-api-key': ALICE });
    expect(b.status).toBe(200);
  });

  it('keeps health, readiness, metrics and docs open', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics', '/openapi.json', '/docs']) expect((await s.get(path)).status).toBe(200);
  });

  it('rate-limits per key: 429 with Retry-After in whole seconds', async () => {
    const h = { 'x-api-key': ALICE };
    const statuses: number[] = [];
    let limited: Response | undefined;
    for (let i = 0; i < 6; i++) {
      const res = await s.get('/v1/intents', h);
      statuses.push(res.status);
      if (res.status === 429) limited ??= res;
    }
    expect(statuses).toContain(429);
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const p = await limited!.json();
    expect(p.type).toBe('urn:intentops:problem:rate-limited');
    expect(p.detail).toMatch(/rate limit exceeded for API key "alice": retry after \d+ s/);
  });

  it('never logs keys or message texts', async () => {
    await s.post('/v1/classify', { text: 'private text 31337' }, { authorization: `Bearer ${ALICE}` });
    const log = s.logText();
    expect(log).not.toContain(ALICE);
    expect(log).not.toContain('31337');
    expect(log).not.toContain(hashKey(ALICE));
    expect(s.logs.some((l) => l.principal === 'alice')).toBe(true);
  });
});

describe('env-only API keys', () => {
  it('reads INTENTOPS_API_KEYS as name:sha256 pairs', async () => {
    const s = await testServing({ env: { INTENTOPS_API_KEYS: `bob:${hashKey(BOB)}, carol:${hashKey('sk-carol')}` } });
    try {
      expect((await s.get('/v1/intents', { authorization: `Bearer ${BOB}` })).status).toBe(200);
      expect((await s.get('/v1/intents', { 'x-api-key': 'sk-carol' })).status).toBe(200);
      expect((await s.get('/v1/intents', { 'x-api-key': ALICE })).status).toBe(401);
    } finally {
      await s.close();
    }
  });

  it('rejects a malformed key hash at start-up, naming the env variable', async () => {
    await expect(testServing({ env: { INTENTOPS_API_KEYS: 'bob:not-a-hash' } })).rejects.toThrow(
      expect.objectContaining({ code: 'invalid_config', where: 'env INTENTOPS_API_KEYS (server.apiKeys.0.sha256)' }),
    );
  });
});

describe('no keys configured', () => {
  let s: TestServing;
  beforeAll(async () => {
    s = await testServing();
  });
  afterAll(() => s.close());

  it('serves without auth and warns once at start-up', async () => {
    expect((await s.get('/v1/intents')).status).toBe(200);
    expect(s.logs.filter((l) => /no API keys configured/.test(String(l.msg)))).toHaveLength(1);
  });

  it('sends no CORS headers by default', async () => {
    const res = await s.get('/v1/intents', { origin: 'https://evil.example' });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const pre = await s.app.request('/v1/classify', { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('CORS when origins are configured', () => {
  it('allows the listed origins only', async () => {
    const s = await testServing({ env: { INTENTOPS_CORS_ORIGINS: 'https://app.example.com' } });
    try {
      const ok = await s.get('/v1/intents', { origin: 'https://app.example.com' });
      expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      const pre = await s.app.request('/v1/classify', { method: 'OPTIONS', headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' } });
      expect(pre.status).toBe(204);
      expect(pre.headers.get('access-control-allow-headers')).toMatch(/x-api-key/);
      const other = await s.get('/v1/intents', { origin: 'https://evil.example' });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await s.close();
    }
  });
});

describe('failed API-key attempts per client address (server.authFailures)', () => {
  it('over a real socket: after max wrong keys the address gets 429 with Retry-After, even with the right key; health stays open', async () => {
    const s = await testServing({ flags: { server: { apiKeys: [{ name: 'alice', sha256: hashKey(ALICE) }], authFailures: { max: 5, windowSeconds: 60 } } } });
    const server = await listen(s.app, { host: '127.0.0.1', port: 0 });
    try {
      const post = (key: string) => fetch(`${server.url}/v1/classify`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ text: CONFIDENT }) });
      expect((await post(ALICE)).status).toBe(200);
      for (let i = 0; i < 5; i++) expect((await post(`sk-guess-${i}`)).status).toBe(401);
      const refused = await post('sk-guess-5');
      expect(refused.status).toBe(429);
      const wait = Number(refused.headers.get('retry-after'));
      expect(wait).toBeGreaterThanOrEqual(1);
      expect(wait).toBeLessThanOrEqual(60);
      expect((await refused.json()).detail).toMatch(/too many requests with an invalid API key from this address \(5 in 60 s, server.authFailures\): retry after \d+ s/);
      // a guess that happens to be right is refused too: the 429 says nothing about the key
      expect((await post(ALICE)).status).toBe(429);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      // one warning for the burst of wrong keys, not one per attempt
      expect(s.logs.filter((l) => l.msg === 'request with an invalid API key')).toHaveLength(1);
    } finally {
      await server.close(5_000);
      await s.close();
    }
  });

  it('counts per address in fixed windows, forgets a window once it has passed, and tracks a bounded number of addresses', () => {
    let now = 0;
    const t = new FailedAuthThrottle({ max: 2, windowSeconds: 10 }, () => now, 3);
    t.failed('a');
    expect(t.blockedFor('a')).toBe(0);
    t.failed('a');
    expect(t.blockedFor('a')).toBe(10_000);
    expect(t.blockedFor('b')).toBe(0);
    now = 9_000;
    expect(t.blockedFor('a')).toBe(1_000);
    now = 10_000;
    expect(t.blockedFor('a')).toBe(0);
    for (const addr of ['b', 'c', 'd', 'e']) t.failed(addr);
    expect(t.tracked).toBe(3);
    expect(new FailedAuthThrottle({ max: 0, windowSeconds: 10 }).blockedFor('a')).toBe(0);
  });
});
