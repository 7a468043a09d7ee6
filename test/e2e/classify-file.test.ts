import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { openReviewStore } from '../../src/adapters/review-store/index.js';
import { runCliCaptured } from '../helpers/capture.js';
import { CLI_MAIN, SAMPLE_TEST, tempDir } from '../helpers/sample.js';
import { sampleModel } from '../helpers/serving.js';

const ENV = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI_MAIN, 'classify-file', ...args], { cwd: tempDir(), env: { ...ENV, ...env }, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts classify-file and SIGKILLs it as soon as its first checkpoint is on disk. */
function killAtFirstCheckpoint(args: string[], out: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_MAIN, 'classify-file', ...args], { cwd: tempDir(), env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const timer = setInterval(() => {
      if (existsSync(`${out}.checkpoint`)) child.kill('SIGKILL');
    }, 5);
    child.on('exit', (code, signal) => {
      clearInterval(timer);
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`classify-file exited ${code} before its first checkpoint: ${err}`));
    });
  });
}

const texts = () => (parse(readFileSync(SAMPLE_TEST), { columns: true }) as { text: string }[]).map((r) => r.text);

describe('intentops classify-file', () => {
  let model: string;
  beforeAll(async () => {
    model = await sampleModel();
  });

  it('CSV in → JSONL out and JSONL in → CSV out, one row per record, bad rows as errors with file:line', async () => {
    const dir = tempDir();
    const csvIn = join(dir, 'tickets.csv');
    writeFileSync(csvIn, 'id,text\nA,where is my parcel? tracking shows nothing\nB,\nC,"I was charged twice, please refund"\n');
    const r = cli([csvIn, join(dir, 'out.jsonl'), '--model', model]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^3 rows → ${join(dir, 'out.jsonl')}: 2 classified, 1 errors`));
    const rows = readFileSync(join(dir, 'out.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((x) => [x.id, x.line, x.route === 'error' ? x.error : x.intent])).toEqual([
      ['A', 2, 'delivery'],
      ['B', 3, `${csvIn}:3: text is empty`],
      ['C', 4, expect.any(String)],
    ]);

    const jsonlIn = join(dir, 'tickets.jsonl');
    writeFileSync(jsonlIn, texts().slice(0, 20).map((text, i) => JSON.stringify({ id: `j${i}`, text })).join('\n'));
    const j = cli([jsonlIn, join(dir, 'out.csv'), '--model', model, '--include-text', '--json']);
    expect(j.code).toBe(0);
    expect(JSON.parse(j.stdout)).toMatchObject({ rows: 20, classified: 20, errors: 0 });
    const csv = parse(readFileSync(join(dir, 'out.csv')), { columns: true }) as Record<string, string>[];
    expect(csv.map((x) => x.id)).toEqual(Array.from({ length: 20 }, (_, i) => `j${i}`));
    expect(csv[0].text).toBe(texts()[0]);
    expect(Number(csv[0].confidence)).toBeGreaterThan(0);
  });

  it('--pipeline classifies as the HTTP API does: unsure messages are queued for review', async () => {
    const dir = tempDir();
    const input = join(dir, 'in.jsonl');
    writeFileSync(input, [JSON.stringify({ id: 'sure', text: 'where is my parcel? tracking shows nothing' }), JSON.stringify({ id: 'unsure', text: 'hmm ok' })].join('\n'));
    const db = join(dir, 'review.db');
    const r = cli([input, join(dir, 'out.jsonl'), '--model', model, '--pipeline'], { INTENTOPS_REVIEW_URI: `sqlite:${db}` });
    expect(r.code).toBe(0);
    const rows = readFileSync(join(dir, 'out.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((x) => [x.id, x.route])).toEqual([
      ['sure', 'accepted'],
      ['unsure', 'review'],
    ]);
    const store = await openReviewStore(`sqlite:${db}`);
    try {
      expect((await store.list()).map((i) => i.text)).toEqual(['hmm ok']);
    } finally {
      await store.close();
    }
  });

  it('resumes after SIGKILL mid-file: the same output as an uninterrupted run, no duplicate, no gap', async () => {
    const dir = tempDir();
    const input = join(dir, 'big.jsonl');
    const t = texts();
    const n = 6_000; // 24 checkpoints: the kill lands after the first, long before the end
    const lines = Array.from({ length: n }, (_, i) => (i % 997 === 3 ? JSON.stringify({ id: `m${i}`, text: ' ' }) : JSON.stringify({ id: `m${i}`, text: t[i % t.length] })));
    writeFileSync(input, lines.join('\n') + '\n');
    const args = (out: string) => [input, out, '--model', model, '--batch', '50', '--checkpoint-every', '250'];

    const whole = join(dir, 'whole.jsonl');
    expect(cli(args(whole)).code).toBe(0);

    const out = join(dir, 'out.jsonl');
    await killAtFirstCheckpoint(args(out), out);
    // killed mid-file: the checkpoint is still there and the output is partial
    const cp = JSON.parse(readFileSync(`${out}.checkpoint`, 'utf8'));
    expect(cp.rows).toBeGreaterThan(0);
    expect(cp.rows).toBeLessThan(n);
    expect(statSync(out).size).toBeLessThan(statSync(whole).size);

    const again = cli(args(out));
    // nothing on stderr but the progress lines a slow (loaded) machine prints every few seconds
    expect(again.stderr.split('\n').filter((l) => l && !/^classify-file: .*: \d+ rows \(/.test(l))).toEqual([]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`^resumed after line ${cp.input.line}; ${n} rows`));
    expect(existsSync(`${out}.checkpoint`)).toBe(false);
    const ids = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l).id);
    expect(ids).toHaveLength(n);
    expect(ids).toEqual(Array.from({ length: n }, (_, i) => `m${i}`));
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(whole, 'utf8'));
  });

  // in-process (the exit code is process.exitCode): the tests above, and test/e2e/cli.test.ts for
  // every command, check what a child process exits with; nine more processes here would check
  // only the same argument handling, at about a CPU-second each
  it('bad arguments: exit codes and messages that say what to do', async () => {
    const dir = tempDir();
    const cli = (args: string[]) => runCliCaptured(['classify-file', ...args], { ...ENV, INTENTOPS_REVIEW_URI: `sqlite:${join(dir, 'review.db')}`, INTENTOPS_EVENTS_URI: `sqlite:${join(dir, 'events.db')}`, INTENTOPS_TRACKING_URI: `sqlite:${join(dir, 'runs.db')}` });
    const missing = await cli([join(dir, 'nope.csv'), join(dir, 'out.jsonl'), '--model', model]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain(`error: ${join(dir, 'nope.csv')}: no such file: ${join(dir, 'nope.csv')}`);
    expect(missing.stderr).toMatch(/hint: check the path/);

    writeFileSync(join(dir, 'in.json'), '[{"text":"hi"}]');
    const array = await cli([join(dir, 'in.json'), join(dir, 'out.jsonl'), '--model', model]);
    expect(array.code).toBe(2);
    expect(array.stderr).toMatch(/cannot tell the input format/);
    expect(array.stderr).toMatch(/jq -c/);

    writeFileSync(join(dir, 'in.csv'), 'message\nhello\n');
    const col = await cli([join(dir, 'in.csv'), join(dir, 'out.csv'), '--model', model]);
    expect(col.code).toBe(2);
    expect(col.stderr).toMatch(/no text column "text"; the columns are: "message"/);
    expect((await cli([join(dir, 'in.csv'), join(dir, 'out.csv'), '--model', model, '--text-col', 'message'])).code).toBe(0);

    const noModel = await cli([join(dir, 'in.csv'), join(dir, 'out.csv'), '--model', join(dir, 'no-model')]);
    expect(noModel.code).toBe(3);
    expect((await cli([join(dir, 'in.csv'), join(dir, 'out.csv')])).code).toBe(2);
    expect((await cli([join(dir, 'in.csv'), join(dir, 'out.csv'), '--model', model, '--batch', '0'])).code).toBe(2);

    writeFileSync(join(dir, 'out2.csv.checkpoint'), JSON.stringify({ version: 1, run: { model: 'other' }, input: { offset: 0, line: 1 }, outputBytes: 0, rows: 0, errors: 0, updatedAt: '' }));
    const stale = await cli([join(dir, 'in.csv'), join(dir, 'out2.csv'), '--model', model, '--text-col', 'message']);
    expect(stale.code).toBe(2);
    expect(stale.stderr).toMatch(/out2\.csv\.checkpoint belongs to a different run/);
    expect(stale.stderr).toMatch(/--restart/);
    expect((await cli([join(dir, 'in.csv'), join(dir, 'out2.csv'), '--model', model, '--text-col', 'message', '--restart'])).code).toBe(0);
  });
});
