import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI_MAIN, ROOT, SAMPLE_TEST, SAMPLE_TRAIN, tempDir } from '../helpers/sample.js';

const TRACKING_DB = join(tempDir(), 'runs.db');

/** Runs the real CLI in a child process: real argv, stdin, stdout, exit code. */
function cli(args: string[], opts: { input?: string | Buffer; env?: Record<string, string> } = {}) {
  const r = spawnSync(process.execPath, [CLI_MAIN, ...args], {
    input: opts.input ?? '',
    encoding: 'utf8',
    cwd: ROOT,
    // tracking runs go to a temp database, never into the repository
    env: { PATH: process.env.PATH, HOME: process.env.HOME, INTENTOPS_TRACKING_URI: `sqlite:${TRACKING_DB}`, ...opts.env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('intentops CLI on the bundled sample data', () => {
  const work = tempDir();
  const model = join(work, 'model');

  beforeAll(() => {
    const r = cli(['train', '--data', SAMPLE_TRAIN, '--out', model, '--seed', '7']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/trained model: 10 intents/);
    expect(r.stdout).toContain(`wrote ${model}`);
  });

  it('data check passes the sample and reports per-label counts', () => {
    const r = cli(['data', 'check', SAMPLE_TRAIN]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/1500 rows, 1500 kept, 10 labels/);
    expect(r.stdout).toMatch(/login_problem\s+150/);
    expect(r.stdout.trim().endsWith('OK')).toBe(true);
  });

  it('data check fails bad data with file:line findings and exit code 2', () => {
    const bad = join(ROOT, 'test/fixtures/data/bad-tickets.csv');
    const r = cli(['data', 'check', bad, '--min-examples', '1']);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(`${bad}:3: error[empty-text]`);
    expect(r.stdout).toContain(`${bad}:4: error[missing-label]`);
    expect(r.stdout).toContain(`${bad}:6: error[conflict]`);
    expect(r.stdout).toMatch(/FAILED/);
  });

  it('eval reports accuracy, coverage and accepted precision at the bundle thresholds', () => {
    const r = cli(['eval', '--model', model, '--data', SAMPLE_TEST, '--json']);
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(rep.examples).toBe(150);
    expect(rep.accuracy).toBeGreaterThan(0.8);
    expect(rep.perIntent).toHaveLength(10);
    // the first run shows the point of the product: most messages answered at once, at the
    // promised precision (the 600-row sample of earlier versions answered a third)
    expect(rep.accepted.coverage).toBeGreaterThan(0.5);
    expect(rep.accepted.acceptedAccuracy).toBeGreaterThanOrEqual(0.95);
    expect(rep.routes.accepted + rep.routes.review).toBe(150);
    expect(rep.routes.llm).toBe(0);
    const text = cli(['eval', '--model', model, '--data', SAMPLE_TEST]);
    expect(text.stdout).toMatch(/accuracy\s+\d+\.\d%/);
    expect(text.stdout).toMatch(/risk–coverage/);
  });

  it('eval adds its test figures to the run that trained the bundle (runs list, runs compare, dashboard)', () => {
    const text = cli(['eval', '--model', model, '--data', SAMPLE_TEST]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/test figures added to run [0-9a-z]{13}/);
    const rep = JSON.parse(cli(['eval', '--model', model, '--data', SAMPLE_TEST, '--json']).stdout);
    const runs = JSON.parse(cli(['runs', 'list', '--json']).stdout) as { bundle: string; metrics: Record<string, number> }[];
    const trained = runs.find((r) => r.bundle === model)!;
    expect(trained.metrics.testAccuracy).toBeCloseTo(rep.accuracy, 10);
    expect(trained.metrics.testMacroF1).toBeCloseTo(rep.macroF1, 10);
    expect(trained.metrics.testEce).toBeCloseTo(rep.ece, 10);
  });

  it('predict classifies an argument and stdin lines as JSON Lines', () => {
    const one = cli(['predict', '--model', model, 'Ich kann mich nicht einloggen, mein Passwort wird abgelehnt']);
    expect(one.code).toBe(0);
    const p = JSON.parse(one.stdout);
    expect(p.intent).toBe('login_problem');
    expect(['accepted', 'review']).toContain(p.route);
    expect(p.alternatives[0].intent).toBe('login_problem');
    const many = cli(['predict', '--model', model], { input: 'where is my parcel? tracking shows nothing\nI want a refund for the broken lamp\n' });
    expect(many.code).toBe(0);
    const lines = many.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.line, l.intent])).toEqual([
      [1, 'delivery'],
      [2, 'return_refund'],
    ]);
  });

  it('predict validates like POST /v1/classify: one row per input, rejected ones as error rows, exit 2', () => {
    const long = 'a'.repeat(5001);
    const input = Buffer.concat([
      Buffer.from('where is my parcel? tracking shows nothing\n\n   \n'),
      Buffer.from([0x6d, 0x79, 0x20, 0xff, 0xfe, 0x20, 0x6f, 0x72, 0x64, 0x65, 0x72, 0x0a]), // "my \xff\xfe order"
      Buffer.from(`${long}\nI want a refund for the broken lamp\r\n`),
      // longer than any acceptable message can be in bytes: skipped to its end, never buffered whole
      Buffer.from(`${'é'.repeat(30_000)}\nmy login does not work\n`),
    ]);
    const r = cli(['predict', '--model', model], { input });
    expect(r.code).toBe(2);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((x) => [x.line, x.intent ?? x.error.code])).toEqual([
      [1, 'delivery'],
      [2, 'empty_text'],
      [3, 'empty_text'],
      [4, 'invalid_utf8'],
      [5, 'text_too_long'],
      [6, 'return_refund'],
      [7, 'text_too_long'],
      [8, 'login_problem'],
    ]);
    expect(rows[6].error.message).toMatch(/the limit is 5000 characters \(server.maxTextLength\)/);
    expect(rows[1].error.message).toBe('text must not be empty');
    expect(rows[2].error.message).toBe('text must not be only whitespace');
    expect(rows[3].error.message).toMatch(/not valid UTF-8 \(first bad byte at column 4\)/);
    expect(JSON.stringify(rows[3])).not.toContain('\ufffd');
    expect(rows[4].error.message).toMatch(/is 5001 characters; the limit is 5000 \(server.maxTextLength\)/);
    expect(rows[5].text).toBe('I want a refund for the broken lamp');
    expect(r.stderr).toMatch(/^error: 5 message\(s\) rejected \(line 2, line 3, line 4, line 5, line 7\)/);
  });

  it('predict numbers arguments by position and rejects empty or too long ones, like the server', () => {
    const r = cli(['predict', '--model', model, 'where is my parcel? tracking shows nothing', '', 'b'.repeat(5001), 'I want a refund for the broken lamp']);
    expect(r.code).toBe(2);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((x) => [x.arg, x.line, x.intent ?? x.error.code])).toEqual([
      [1, undefined, 'delivery'],
      [2, undefined, 'empty_text'],
      [3, undefined, 'text_too_long'],
      [4, undefined, 'return_refund'],
    ]);
    expect(r.stderr).toMatch(/rejected \(argument 2, argument 3\)/);
    // the server's limit comes from the same setting
    const config = join(work, 'long-texts.yaml');
    writeFileSync(config, 'server:\n  maxTextLength: 6000\n');
    const raised = cli(['--config', config, 'predict', '--model', model, 'b'.repeat(5001)]);
    expect(raised.code).toBe(0);
  });

  it('predict rejects an argument that is not valid UTF-8, and keeps a real U+FFFD', () => {
    // bytes node cannot be given from JavaScript: through the shell, as a user's terminal would
    const r = spawnSync('bash', ['-c', `exec "$0" "$1" predict --model "$2" $'my \\xff\\xfe order' $'where is my parcel? \\xef\\xbf\\xbd'`, process.execPath, CLI_MAIN, model], {
      encoding: 'utf8',
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, INTENTOPS_TRACKING_URI: `sqlite:${TRACKING_DB}` },
    });
    expect(r.status).toBe(2);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows[0]).toEqual({ arg: 1, error: { code: 'invalid_utf8', message: expect.stringMatching(/^the argument is not valid UTF-8/) } });
    expect(rows[1]).toMatchObject({ arg: 2, text: 'where is my parcel? \uFFFD', intent: 'delivery' });
  });

  it('runs list shows the embedder the training used', () => {
    const r = cli(['runs', 'list']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\shashed\s/);
    expect(r.stdout).not.toContain('[object Object]');
  });

  it('same data and seed give the same weights', () => {
    const again = join(work, 'again');
    expect(cli(['train', '--data', SAMPLE_TRAIN, '--out', again, '--seed', '7']).code).toBe(0);
    const a = JSON.parse(readFileSync(join(model, 'manifest.json'), 'utf8'));
    const b = JSON.parse(readFileSync(join(again, 'manifest.json'), 'utf8'));
    expect(b.classifier.weights.sha256).toBe(a.classifier.weights.sha256);
    expect(b.metrics.valAccuracy).toBe(a.metrics.valAccuracy);
  });

  it('fails clearly: missing model, unknown embedder, bad flag values', () => {
    const missing = cli(['predict', '--model', join(work, 'nope'), 'hi']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/no model bundle at .*nope/);
    expect(missing.stderr).toMatch(/hint: train one/);
    const emb = cli(['train', '--data', SAMPLE_TRAIN, '--out', join(work, 'x'), '--embedder', 'bert']);
    expect(emb.code).toBe(2);
    expect(emb.stderr).toMatch(/unknown embedder "bert"; valid: hashed, onnx, openai/);
    const seed = cli(['train', '--data', SAMPLE_TRAIN, '--out', join(work, 'x'), '--seed', 'abc']);
    expect(seed.code).toBe(2);
    expect(seed.stderr).toMatch(/--seed must be an integer/);
    const tp = cli(['train', '--data', SAMPLE_TRAIN, '--out', join(work, 'x'), '--target-precision', '1.5']);
    expect(tp.code).toBe(2);
    expect(tp.stderr).toMatch(/targetPrecision/);
  });

  it('config prints the effective configuration with secrets masked', () => {
    const r = cli(['config'], { env: { OPENAI_API_KEY: 'sk-verysecretkey123', INTENTOPS_SEED: '5' } });
    expect(r.code).toBe(0);
    const c = JSON.parse(r.stdout);
    expect(c.seed).toBe(5);
    expect(c.embedder).toBe('hashed');
    expect(r.stdout).not.toContain('verysecret');
    expect(c.openai.apiKey).toMatch(/^sk-…\(19 chars\)$/);
  });
});
