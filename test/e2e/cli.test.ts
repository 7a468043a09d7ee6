import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, SAMPLE_TEST, SAMPLE_TRAIN, tempDir } from '../helpers/sample.js';

const TRACKING_DB = join(tempDir(), 'runs.db');

/** Runs the real CLI in a child process: real argv, stdin, stdout, exit code. */
function cli(args: string[], opts: { input?: string; env?: Record<string, string> } = {}) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/app/cli/main.ts'), ...args], {
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
    expect(r.stdout).toMatch(/600 rows, 600 kept, 10 labels/);
    expect(r.stdout).toMatch(/login_problem\s+60/);
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
    expect(rep.accepted.coverage).toBeGreaterThan(0);
    expect(rep.routes.accepted + rep.routes.review).toBe(150);
    expect(rep.routes.llm).toBe(0);
    const text = cli(['eval', '--model', model, '--data', SAMPLE_TEST]);
    expect(text.stdout).toMatch(/accuracy\s+\d+\.\d%/);
    expect(text.stdout).toMatch(/risk–coverage/);
  });

  it('predict classifies an argument and stdin lines as JSON Lines', () => {
    const one = cli(['predict', '--model', model, 'Ich kann mich nicht einloggen, mein Passwort wird abgelehnt']);
    expect(one.code).toBe(0);
    const p = JSON.parse(one.stdout);
    expect(p.intent).toBe('login_problem');
    expect(['accepted', 'review']).toContain(p.route);
    expect(p.alternatives[0].intent).toBe('login_problem');
    const many = cli(['predict', '--model', model], { input: 'where is my parcel? tracking shows nothing\n\nI want a refund for the broken lamp\n' });
    expect(many.code).toBe(0);
    const lines = many.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.line, l.intent])).toEqual([
      [1, 'delivery'],
      [3, 'return_refund'],
    ]);
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
