import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openPredictionLog } from '../../adapters/prediction-log/index.js';
import type { PredictionRecord } from '../../ports/prediction-log.js';
import { CLI_MAIN, ROOT, SAMPLE_TEST, SAMPLE_TRAIN, tempDir } from '../../../test/helpers/sample.js';

const work = tempDir('intentops-cli-retrain-labels-');
const DB = `sqlite:${join(work, 'intentops.db')}`;
const ENV = {
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? '',
  INTENTOPS_TRACKING_URI: DB,
  INTENTOPS_REGISTRY_URI: DB,
  INTENTOPS_ARTIFACTS_URI: `file:${join(work, 'artifacts')}`,
  INTENTOPS_REVIEW_URI: DB,
  INTENTOPS_EVENTS_URI: DB,
  INTENTOPS_USER: 'test-bot',
};
const GATES = join(ROOT, 'test/fixtures/gates/lenient.yaml');

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI_MAIN, ...args], { encoding: 'utf8', cwd: ROOT, env: ENV });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const retrainArgs = (out: string) => ['retrain', '--data', SAMPLE_TRAIN, '--test', SAMPLE_TEST, '--gates', GATES, '--name', 'tickets', '--out', join(work, out)];

describe('intentops retrain: the machine-label policy from flags', () => {
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  // each retrain trains the sample data: minutes on a loaded machine
  const SLOW = { timeout: 300_000 };

  it('applies --labels, weights and caps to the answers in the prediction log (--json)', SLOW, async () => {
    const log = await openPredictionLog(DB);
    const day = 86_400_000;
    const rec = (id: string, ago: number, text: string, intent: string, route: 'llm' | 'accepted'): PredictionRecord => ({
      id,
      at: new Date(Date.now() - ago * day).toISOString(),
      model: { name: 'tickets', version: '1' },
      variant: 'champion',
      intent,
      confidence: 0.99,
      route,
      reason: route === 'llm' ? 'llm_answered' : 'confident',
      cached: false,
      latencyMs: 2,
      text,
      ...(route === 'llm' && { llm: { model: 'gpt-test', promptTokens: 90, completionTokens: 4, costUsd: 0.0001 } }),
    });
    await log.append([
      rec('a', 2, 'The courier left my parcel at the wrong house', 'delivery', 'llm'),
      rec('b', 1, 'My parcel was delivered to my neighbour without asking', 'delivery', 'llm'),
      rec('c', 1, 'I want to send the shoes back, they are too small', 'return_refund', 'accepted'),
    ]);
    await log.close();
    const r = cli([...retrainArgs('m1'), '--labels', 'llm', '--llm-weight', '0.8', '--max-per-intent', '1', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res.labels).toMatchObject({
      records: 3,
      llm: { candidates: 2, used: 1, dropped: { intent_cap: 1 }, byModel: { 'gpt-test': 1 } },
      self: { candidates: 1, used: 0, dropped: { disabled: 1 } },
      policy: { llm: { enabled: true, weight: 0.8 }, self: { enabled: false }, maxPerIntent: 1 },
    });
    expect(res.version).toBe(1);
  });

  it('prints the counts per provenance before the gate results', SLOW, () => {
    const text = cli([...retrainArgs('m2'), '--labels', 'llm,self']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('LLM: 2 of 2 used (weight 0.5)');
    expect(text.stdout).toContain('self-training: 1 of 1 used (weight 0.3)');
  });

  it('refuses bad policy flags with what, where and how to fix it', SLOW, () => {
    const heavy = cli([...retrainArgs('x'), '--llm-weight', '2']);
    expect(heavy.code).not.toBe(0);
    expect(heavy.stderr).toMatch(/retrain\.labels\.llm\.weight.*at most 1/);
    const nan = cli([...retrainArgs('x'), '--self-min-confidence', 'high']);
    expect(nan.code).not.toBe(0);
    expect(nan.stderr).toMatch(/--self-min-confidence "high" is not a number/);
    const src = cli([...retrainArgs('x'), '--labels', 'llm,humans']);
    expect(src.code).not.toBe(0);
    expect(src.stderr).toMatch(/--labels.*unknown source "humans"/);
    expect(src.stderr).toMatch(/llm, self, llm,self or none/);
  });
});
