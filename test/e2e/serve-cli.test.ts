import { spawn } from 'node:child_process';
import { statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openReviewStore } from '../../src/adapters/review-store/index.js';
import { hashKey } from '../../src/app/http/auth.js';
import { runCliCaptured } from '../helpers/capture.js';
import { cliProcess, serveProcess } from '../helpers/cli-process.js';
import { CLI_MAIN, tempDir } from '../helpers/sample.js';
import { copyModel, sampleModel } from '../helpers/serving.js';

/**
 * `intentops serve` failing to start (exit codes and messages of the process), and the review
 * and dev commands. Split from serve.test.ts, whose signal and drain tests run alone (the serial
 * project in vitest.config.ts): nothing here depends on timing, so it runs beside other files.
 * The review and dev hash-key commands run in-process (real argv parsing, a real SQLite store;
 * the exit code is process.exitCode): test/e2e/cli.test.ts covers the process boundary (argv,
 * stdin, exit codes) with the CLI as a child process.
 */

const BASE_ENV = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };

/** A CLI command in-process, with its own streams; stdin is `input`. */
const cli = (args: string[], o: { input?: string } = {}) => runCliCaptured(args, { ...BASE_ENV }, o.input);

afterEach(() => {
  process.exitCode = 0;
});

describe('start-up failures: clear message, non-zero exit', () => {
  const run = (args: string[], env: Record<string, string> = {}) => cliProcess(['serve', '--port', '0', ...args], { env });

  it('a worker that cannot start stops the cluster with its exit code, printing the error once', () => {
    const r = cliProcess(['serve', '--model', '/nonexistent/model', '--port', '0', '--workers', '2']);
    expect(r.code).toBe(3);
    expect(r.stderr.match(/no model bundle at/g)).toHaveLength(1);
  });

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
    const s = await serveProcess(['--model', await sampleModel()], { INTENTOPS_REVIEW_URI: 'none' });
    try {
      const r = cliProcess(['serve', '--model', await sampleModel(), '--port', new URL(s.url).port], { env: { INTENTOPS_REVIEW_URI: 'none' } });
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
    const list = await cli(['review', 'list', '--store', uri]);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(a.id);
    expect(list.stdout).toMatch(/open\s+low_confidence\s+guess delivery 40%\s+"where is it"/);
    expect((await cli(['review', 'claim', a.id, '--store', uri, '--who', 'ana'])).stdout).toMatch(/claimed by ana/);
    const other = await cli(['review', 'claim', a.id, '--store', uri, '--who', 'ben']);
    expect(other.code).toBe(2);
    const model = await sampleModel();
    const typo = await cli(['review', 'label', a.id, 'deliverry', '--store', uri, '--who', 'ana', '--model', model]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/unknown intent "deliverry"/);
    const label = await cli(['review', 'label', a.id, 'delivery', '--store', uri, '--who', 'ana', '--model', model, '--json']);
    expect(label.code).toBe(0);
    expect(JSON.parse(label.stdout)).toMatchObject({ id: a.id, state: 'labelled', label: 'delivery', labelledBy: 'ana' });
    expect((await cli(['review', 'skip', b.id, '--store', uri, '--who', 'ana'])).code).toBe(0);
    expect((await cli(['review', 'list', '--store', uri])).stdout.trim()).toBe('no open items');
    const labelled = await cli(['review', 'list', '--store', uri, '--state', 'labelled', '--json']);
    expect(labelled.stdout.trim().split('\n').map((l) => JSON.parse(l).id)).toEqual([a.id]);
    const missing = await cli(['review', 'claim', '01NOPE0000000000000000000', '--store', uri]);
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
    const list = await cli(['review', 'list', '--store', uri]);
    expect(list.code).toBe(0);
    // 4 near-duplicate messages at doubt 0.2 outweigh 1 at doubt 0.7
    expect(list.stdout.indexOf(sure.id)).toBeLessThan(list.stdout.indexOf(unsure.id));
    expect(list.stdout).toMatch(/priority 0\.640: 4\.0 recent messages \(4 in all\) × doubt 0\.20 \(confidence 80%, margin 80%\) × low_confidence weight 0\.8 × waited \d+ min \(×1\.00\) = 0\.640\n.*\n\s+priority 0\.560: 1\.0 recent message \(1 in all\) × doubt 0\.70/);
    const created = (await cli(['review', 'list', '--store', uri, '--order', 'created'])).stdout;
    expect(created.indexOf(unsure.id)).toBeLessThan(created.indexOf(sure.id));
    const next = await cli(['review', 'next', '--store', uri, '--who', 'ana', '--json']);
    expect(JSON.parse(next.stdout)).toMatchObject({ id: sure.id, state: 'claimed', claimedBy: 'ana', count: 4, priority: { count: 4 } });
    expect(JSON.parse((await cli(['review', 'next', '--store', uri, '--who', 'ana', '--json'])).stdout)).toMatchObject({ id: unsure.id });
    expect((await cli(['review', 'next', '--store', uri, '--who', 'ana'])).stdout.trim()).toBe('no open items');
    const paged = await cli(['review', 'list', '--store', uri, '--order', 'priority', '--after', sure.id]);
    expect(paged.code).toBe(2);
    expect(paged.stderr).toMatch(/--order created/);
  });

  it('dev hash-key prints the sha256 for server.apiKeys, from an argument or stdin', async () => {
    expect((await cli(['dev', 'hash-key', 'abc'])).stdout.trim()).toBe(hashKey('abc'));
    expect((await cli(['dev', 'hash-key', '--name', 'ops'], { input: 'abc\n' })).stdout.trim()).toBe(`ops:${hashKey('abc')}`);
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
