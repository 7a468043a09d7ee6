import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlm, type FakeLlm } from '../../src/app/dev/fake-llm-server.js';
import { hashKey } from '../../src/app/http/auth.js';
import { serveProcess as serve, type Child } from '../helpers/cli-process.js';
import { tempDir } from '../helpers/sample.js';
import { sampleModel } from '../helpers/serving.js';

/**
 * A raw HTTP request, so the test controls framing (chunked, no Content-Length) and bytes. Like
 * a careful client it stops sending once the server has answered (a 413 arrives mid-upload),
 * and a reset after the answer is not an error.
 */
function raw(url: string, o: { path: string; headers: Record<string, string>; chunks: Buffer[] }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(`${url}${o.path}`, { method: 'POST', headers: o.headers, agent: false }, (res) => {
      answered = true;
      let body = '';
      res.on('data', (d: Buffer) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
      res.on('error', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', (e) => (answered ? undefined : reject(e)));
    let i = 0;
    const next = () => {
      if (answered) return;
      if (i === o.chunks.length) return void req.end();
      req.write(o.chunks[i++]);
      setTimeout(next, 5);
    };
    next();
  });
}

describe('intentops serve on a real socket', () => {
  let server: Child;
  const key = 'sk-e2e-key';

  beforeAll(async () => {
    // request lines are at debug by default; logging every one at info lets the test find the propagated id in the log
    server = await serve(['--model', await sampleModel()], { INTENTOPS_REVIEW_URI: 'sqlite::memory:', INTENTOPS_API_KEYS: `e2e:${hashKey(key)}`, INTENTOPS_LOG_REQUEST_SAMPLE_RATE: '1' });
  });
  afterAll(async () => {
    if (!server) return;
    server.proc.kill('SIGTERM');
    expect(await server.exit).toBe(0);
  });

  it('classifies over HTTP with a propagated request id', async () => {
    const res = await fetch(`${server.url}/v1/classify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, 'x-request-id': 'e2e-1' },
      body: JSON.stringify({ text: 'Ich kann mich nicht einloggen, mein Passwort wird abgelehnt' }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('e2e-1');
    expect((await res.json()).intent).toBe('login_problem');
    expect(server.stdout()).toContain('"requestId":"e2e-1"');
  });

  it('a 1 MB body: 413 (declared length), also when streamed chunked without a length', async () => {
    const big = JSON.stringify({ text: 'x'.repeat(1_000_000) });
    const declared = await fetch(`${server.url}/v1/classify`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: big });
    expect(declared.status).toBe(413);
    expect((await declared.json()).detail).toMatch(/over 65536 bytes/);
    const chunks = Array.from({ length: 16 }, (_, i) => Buffer.from(i === 0 ? big.slice(0, 65_536) : 'x'.repeat(65_536)));
    const streamed = await raw(server.url, { path: '/v1/classify', headers: { 'content-type': 'application/json', 'x-api-key': key, 'transfer-encoding': 'chunked' }, chunks });
    expect(streamed.status).toBe(413);
    expect(JSON.parse(streamed.body).type).toBe('urn:intentops:problem:body-too-large');
  });

  it('invalid UTF-8 bytes on the wire: 400', async () => {
    const body = Buffer.concat([Buffer.from('{"text":"'), Buffer.from([0xff, 0xfe, 0x80]), Buffer.from('"}')]);
    const res = await raw(server.url, { path: '/v1/classify', headers: { 'content-type': 'application/json', 'x-api-key': key, 'content-length': String(body.length) }, chunks: [body] });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).detail).toMatch(/not valid UTF-8 \(first bad byte at offset 9\)/);
  });

  it('SIGHUP reloads the model from --model without dropping the server', async () => {
    server.proc.kill('SIGHUP');
    const t0 = Date.now();
    while (!server.stdout().includes('"msg":"model loaded"') && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 25));
    expect(server.stdout()).toContain('"msg":"model loaded"');
    expect((await fetch(`${server.url}/v1/intents`, { headers: { 'x-api-key': key } })).status).toBe(200);
  });

  it('missing and wrong API keys: 401', async () => {
    const none = await fetch(`${server.url}/v1/intents`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await fetch(`${server.url}/v1/intents`, { headers: { 'x-api-key': 'nope' } })).status).toBe(401);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});

describe('graceful shutdown', () => {
  let fake: FakeLlm;
  beforeAll(async () => {
    fake = await startFakeLlm({ latencyMs: 1500 });
  });
  afterAll(() => fake.close());

  it('SIGTERM lets an in-flight slow request finish with 200, refuses new connections, and exits 0', async () => {
    const s = await serve(['--model', await sampleModel()], {
      INTENTOPS_REVIEW_URI: `sqlite:${join(tempDir(), 'review.db')}`,
      INTENTOPS_LLM_PROVIDER: 'openai-chat',
      INTENTOPS_LLM_BASE_URL: fake.baseUrl,
      INTENTOPS_LLM_MODEL: 'fake',
    });
    fake.script({ intent: 'general_question' });
    const slow = fetch(`${s.url}/v1/classify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'hmm ok' }) });
    const seen = Date.now();
    while (fake.requests.length === 0 && Date.now() - seen < 10_000) await new Promise((r) => setTimeout(r, 20));
    expect(fake.requests.length).toBe(1); // the request is now waiting on the slow LLM
    s.proc.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    await expect(fetch(`${s.url}/healthz`)).rejects.toThrow();
    const res = await slow;
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ route: 'llm', intent: 'general_question' });
    expect(await s.exit).toBe(0);
    expect(s.stdout()).toMatch(/"signal":"SIGTERM","inFlight":1.*shutting down/);
    expect(s.stdout()).toMatch(/"msg":"stopped"/);
  });
});

describe('serve --workers', () => {
  it('runs one port over several processes, aggregates /metrics across them, and stops them all on SIGTERM', async () => {
    const s = await serve(['--model', await sampleModel(), '--workers', '2'], { INTENTOPS_REVIEW_URI: 'none' });
    // workers start one after the other: the server answers once the first listens
    const listening = () => new Set([...s.stdout().matchAll(/"pid":(\d+),"msg":"listening"/g)].map((m) => m[1]));
    for (let t = Date.now(); listening().size < 2 && Date.now() - t < 20_000; ) await new Promise((r) => setTimeout(r, 50));
    expect(listening().size).toBe(2);
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`${s.url}/v1/classify`, { method: 'POST', headers: { 'content-type': 'application/json', connection: 'close' }, body: JSON.stringify({ text: `where is my parcel ${i}` }) });
      expect(res.status).toBe(200);
    }
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toContain('intentops_http_requests_total{method="POST",route="/v1/classify",status="200"} 6');
    expect(metrics).toMatch(/intentops_model_info\{name="sample",version="\w+"\} 1\n/);
    s.proc.kill('SIGTERM');
    expect(await s.exit).toBe(0);
    expect(s.stdout().match(/"msg":"stopped"/g)).toHaveLength(2);
  });
});
