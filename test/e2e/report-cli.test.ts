import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { trainBundle } from '../helpers/trained.js';
import { CLI_MAIN, ROOT, SAMPLE_TEST, SAMPLE_TRAIN, tempDir } from '../helpers/sample.js';

/** Runs the real CLI in a child process. */
function cli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI_MAIN, ...args], {
    encoding: 'utf8',
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('intentops eval: report files and comparison', () => {
  const work = tempDir('intentops-eval-cli-');
  const model = join(work, 'new');
  const old = join(work, 'old');

  beforeAll(async () => {
    await trainBundle({ data: SAMPLE_TRAIN, out: model, embedder: 'hashed', seed: 7, validation: 'split' });
    await trainBundle({ data: SAMPLE_TRAIN, out: old, embedder: 'hashed', seed: 7, validation: 'split', training: { maxEpochs: 1, learningRate: 0.002 } });
  }, 120_000);

  it('writes HTML and Markdown and prints JSON with the comparison', () => {
    const html = join(work, 'report.html');
    const md = join(work, 'summary.md');
    const r = cli(['eval', '--model', model, '--data', SAMPLE_TEST, '--compare', old, '--json', '--html', html, '--md', md]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(rep.model.name).toBe('new');
    expect(rep.examples).toBe(150);
    expect(rep.correctness).toMatch(/^[01]{150}$/);
    expect(rep.riskCoverageCurve.length).toBeGreaterThan(10);
    expect(rep.reliability).toHaveLength(15);
    expect(rep.llm.price).toEqual({ model: 'gpt-4o-mini', inputPer1M: 0.15, outputPer1M: 0.6, currency: 'USD' });
    expect(rep.llm.callsPer1k).toBeCloseTo(1000 * (1 - rep.accepted.coverage), 9);
    expect(rep.latency.p99).toBeGreaterThanOrEqual(rep.latency.p50);
    expect(rep.comparison).toMatchObject({ a: 'old', b: 'new', examples: 150, significant: true, better: 'b' });
    expect(rep.comparison.verdict).toMatch(/^B \(new\) is better than A \(old\): \+\d+\.\d pts accuracy, McNemar p/);
    const page = readFileSync(html, 'utf8');
    expect(page).toMatch(/^<!doctype html>/);
    for (const id of ['chart-risk-coverage', 'chart-reliability', 'chart-f1', 'chart-confusions', 'chart-compare-f1']) expect(page).toContain(`id="${id}"`);
    const summary = readFileSync(md, 'utf8');
    expect(summary).toMatch(/^### IntentOps evaluation: new on 150 examples/);
    expect(summary).toContain('| metric | A (old) | B (new) | B − A |');
    expect(readFileSync(join(work, 'report.html'), 'utf8')).toBe(page);
    expect(readdirSync(work).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('prints text with the comparison and the files written, using a custom LLM price', () => {
    const md = join(work, 'text.md');
    const r = cli(['eval', '--model', model, '--data', SAMPLE_TEST, '--compare', old, '--md', md, '--llm-price', '2.5,10', '--llm-tokens', '1000,20', '--llm-model', 'gpt-4o']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/accuracy\s+\d+\.\d%/);
    expect(r.stdout).toMatch(/projected LLM fallback: \d+ calls per 1,000 messages ≈ [\d.]+ USD \(gpt-4o, ~1000\+20 tokens per call\)/);
    expect(r.stdout).toMatch(/latency per message: p50 [\d.]+ ms/);
    expect(r.stdout).toMatch(/comparison: A = old \(--compare\), B = new \(--model\), 150 examples/);
    expect(r.stdout).toMatch(/B \(new\) is better than A \(old\)/);
    expect(r.stdout.trim().endsWith(`wrote ${md}`)).toBe(true);
    expect(readFileSync(md, 'utf8')).toContain('(gpt-4o, ~1000+20 tokens per call)');
  });

  it('rejects a bad price and an unwritable report path with exit code 2 / 3', () => {
    const price = cli(['eval', '--model', model, '--data', SAMPLE_TEST, '--llm-price', 'cheap']);
    expect(price.code).toBe(2);
    expect(price.stderr).toMatch(/--llm-price must be two prices "IN,OUT" per 1M tokens, got "cheap"/);
    const path = cli(['eval', '--model', model, '--data', SAMPLE_TEST, '--html', join(work, 'missing-dir', 'r.html')]);
    expect(path.code).toBe(3);
    expect(path.stderr).toMatch(/cannot write .*missing-dir\/r\.html/);
  });
});
