import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { writeFileSync, truncateSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlm, type FakeLlm } from '../../src/app/dev/fake-llm-server.js';
import { hashKey } from '../../src/app/http/auth.js';
import { openReviewStore } from '../../src/adapters/review-store/index.js';
import { CLI_MAIN, tempDir } from '../helpers/sample.js';
import { copyModel, sampleModel } from '../helpers/serving.js';

const BASE_ENV = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };

interface Child {
  readonly proc: ChildProcess;
  readonly url: string;
  stdout(): string;
  stderr(): string;
  exit: Promise<number | null>;
}

/** Runs `intentops serve` in a child process and resolves once it logs `listening` (and `cluster listening` with --workers). */
async function serve(args: string[], env: Record<string, string> = {}): Promise<Child> {
  const clustered = args.includes('--workers');
  const proc = spawn(process.execPath, [CLI_MAIN, 'serve', '--port', '0', ...args], { cwd: tempDir(), env: { ...BASE_ENV, ...env } });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d));
  proc.stderr!.on('data', (d: Buffer) => (err += d));
  const exit = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /"url":"(http:\/\/[^"]+)","pid":\d+,"msg":"listening"/.exec(out);
      if (m && (!clustered || out.includes('"msg":"cluster listening"'))) {
        clearInterval(timer);
        resolve(m[1]);
      }
    }, 25);
    void exit.then((code) => {
      clearInterval(timer);
      reject(new Error(`serve exited with ${code} before listening:\n${err}\n${out}`));
    });
  });
  return { proc, url, stdout: () => out, stderr: () => err, exit };
}

function cli(args: string[], o: { input?: string; env?: Record<string, string> } = {}) {
  const r = spawnSync(process.execPath, [CLI_MAIN, ...args], { input: o.input ?? '', encoding: 'utf8', cwd: tempDir(), env: { ...BASE_ENV, ...o.env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

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

  it('a worker that cannot start stops the cluster with its exit code, printing the error once', () => {
    const r = cli(['serve', '--model', '/nonexistent/model', '--port', '0', '--workers', '2']);
    expect(r.code).toBe(3);
    expect(r.stderr.match(/no model bundle at/g)).toHaveLength(1);
  });
});

describe('start-up failures: clear message, non-zero exit', () => {
  const run = (args: string[], env: Record<string, string> = {}) => cli(['serve', '--port', '0', ...args], { env });

  it('a missing model directory: exit 3 naming it, with a hint', () => {
    const r = run(['--model', '/nonexistent/model']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/error: \/nonexistent\/model: no model bundle at \/nonexistent\/model/);
    expect(r.stderr).toMatch(/hint: train one/);
  });

  it('a corrupt bundle: exit 4 (bad manifest JSON, truncated weights)', async () => {
    const a = copyModel(await sampleModel());
    writeFileSync(join(a, 'manifest.json'), '{"schemaVersion": 1, ');
    const bad = run(['--model', a]);
    expect(bad.code).toBe(4);
    expect(bad.stderr).toMatch(/manifest.json is not valid JSON/);
    const b = copyModel(await sampleModel());
    const w = join(b, 'weights.f32');
    truncateSync(w, statSync(w).size - 8);
    const trunc = run(['--model', b]);
    expect(trunc.code).toBe(4);
    expect(trunc.stderr).toMatch(/checksum mismatch for weights.f32/);
  });

  it('bad configuration: exit 2 naming the setting', async () => {
    const r = run(['--model', await sampleModel()], { INTENTOPS_CACHE_URI: 'memcached://x' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown scheme "memcached" in cache URI/);
    const key = run(['--model', await sampleModel()], { INTENTOPS_API_KEYS: 'ops:abc' });
    expect(key.code).toBe(2);
    expect(key.stderr).toMatch(/env INTENTOPS_API_KEYS \(server.apiKeys.0.sha256\): .*64 hex digits/);
  });

  it('a port in use: exit 5', async () => {
    const s = await serve(['--model', await sampleModel()], { INTENTOPS_REVIEW_URI: 'none' });
    try {
      const r = cli(['serve', '--model', await sampleModel(), '--port', new URL(s.url).port], { env: { INTENTOPS_REVIEW_URI: 'none' } });
      expect(r.code).toBe(5);
      expect(r.stderr).toMatch(/cannot listen on 127.0.0.1:\d+: EADDRINUSE/);
    } finally {
      s.proc.kill('SIGTERM');
      await s.exit;
    }
  });
});

describe('intentops review and dev commands', () => {
  it('review list | claim | label | skip on a SQLite store', async () => {
    const db = join(tempDir(), 'queue.db');
    const store = await openReviewStore(`sqlite:${db}`);
    const base = { guess: 'delivery', confidence: 0.4, alternatives: [{ intent: 'delivery', score: 0.4 }], reason: 'low_confidence' as const, model: { name: 'sample', version: 'v1' } };
    const a = await store.add({ ...base, text: 'where is it' });
    const b = await store.add({ ...base, text: 'no idea' });
    await store.close();
    const uri = `sqlite:${db}`;
    const list = cli(['review', 'list', '--store', uri]);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(a.id);
    expect(list.stdout).toMatch(/open\s+low_confidence\s+guess delivery 40%\s+"where is it"/);
    expect(cli(['review', 'claim', a.id, '--store', uri, '--who', 'ana']).stdout).toMatch(/claimed by ana/);
    const other = cli(['review', 'claim', a.id, '--store', uri, '--who', 'ben']);
    expect(other.code).toBe(2);
    const model = await sampleModel();
    const typo = cli(['review', 'label', a.id, 'deliverry', '--store', uri, '--who', 'ana', '--model', model]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/unknown intent "deliverry"/);
    const label = cli(['review', 'label', a.id, 'delivery', '--store', uri, '--who', 'ana', '--model', model, '--json']);
    expect(label.code).toBe(0);
    expect(JSON.parse(label.stdout)).toMatchObject({ id: a.id, state: 'labelled', label: 'delivery', labelledBy: 'ana' });
    expect(cli(['review', 'skip', b.id, '--store', uri, '--who', 'ana']).code).toBe(0);
    expect(cli(['review', 'list', '--store', uri]).stdout.trim()).toBe('no open items');
    const labelled = cli(['review', 'list', '--store', uri, '--state', 'labelled', '--json']);
    expect(labelled.stdout.trim().split('\n').map((l) => JSON.parse(l).id)).toEqual([a.id]);
    const missing = cli(['review', 'claim', '01NOPE0000000000000000000', '--store', uri]);
    expect(missing.code).toBe(3);
  });

  it('review list serves open items by priority with why; review next claims the first', async () => {
    const db = join(tempDir(), 'queue.db');
    const store = await openReviewStore(`sqlite:${db}`);
    const base = { guess: 'delivery', alternatives: [{ intent: 'delivery', score: 0.4 }], reason: 'low_confidence' as const, model: { name: 'sample', version: 'v1' } };
    const unsure = await store.add({ ...base, text: 'very unsure', confidence: 0.3 });
    const sure = await store.add({ ...base, text: 'fairly sure', confidence: 0.8 });
    for (const text of ['Fairly sure!', 'fairly  SURE', 'fairly sure.']) await store.add({ ...base, text, confidence: 0.8 });
    await store.close();
    const uri = `sqlite:${db}`;
    const list = cli(['review', 'list', '--store', uri]);
    expect(list.code).toBe(0);
    // 4 near-duplicate messages at doubt 0.2 outweigh 1 at doubt 0.7
    expect(list.stdout.indexOf(sure.id)).toBeLessThan(list.stdout.indexOf(unsure.id));
    expect(list.stdout).toMatch(/priority 0\.640: 4\.0 recent messages \(4 in all\) × doubt 0\.20 \(confidence 80%, margin 80%\) × low_confidence weight 0\.8 × waited \d+ min \(×1\.00\) = 0\.640\n.*\n\s+priority 0\.560: 1\.0 recent message \(1 in all\) × doubt 0\.70/);
    const created = cli(['review', 'list', '--store', uri, '--order', 'created']).stdout;
    expect(created.indexOf(unsure.id)).toBeLessThan(created.indexOf(sure.id));
    const next = cli(['review', 'next', '--store', uri, '--who', 'ana', '--json']);
    expect(JSON.parse(next.stdout)).toMatchObject({ id: sure.id, state: 'claimed', claimedBy: 'ana', count: 4, priority: { count: 4 } });
    expect(JSON.parse(cli(['review', 'next', '--store', uri, '--who', 'ana', '--json']).stdout)).toMatchObject({ id: unsure.id });
    expect(cli(['review', 'next', '--store', uri, '--who', 'ana']).stdout.trim()).toBe('no open items');
    const paged = cli(['review', 'list', '--store', uri, '--order', 'priority', '--after', sure.id]);
    expect(paged.code).toBe(2);
    expect(paged.stderr).toMatch(/--order created/);
  });

  it('dev hash-key prints the sha256 for server.apiKeys, from an argument or stdin', () => {
    expect(cli(['dev', 'hash-key', 'abc']).stdout.trim()).toBe(hashKey('abc'));
    expect(cli(['dev', 'hash-key', '--name', 'ops'], { input: 'abc\n' }).stdout.trim()).toBe(`ops:${hashKey('abc')}`);
  });

  it('dev fake-llm serves the chat-completions wire format until SIGINT', async () => {
    const data = join(tempDir(), 'oracle.csv');
    writeFileSync(data, 'text,label\nwhere is my parcel,delivery\n');
    const proc = spawn(process.execPath, [CLI_MAIN, 'dev', 'fake-llm', '--latency-ms', '5', '--oracle', data, '--accuracy', '1'], { cwd: tempDir(), env: BASE_ENV });
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => (out += d));
    const exit = new Promise<number | null>((resolve) => proc.once('exit', resolve));
    const t0 = Date.now();
    while (!/listening on (http:\S+)/.test(out) && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 25));
    const url = /listening on (http:\S+)/.exec(out)![1];
    expect(out).toMatch(/oracle: 1 texts, accuracy 1/);
    const res = await fetch(`${url}/v1/models`);
    expect(res.status).toBe(200);
    proc.kill('SIGINT');
    expect(await exit).toBe(0);
    expect(out).toMatch(/served 1 requests/);
  });
});
