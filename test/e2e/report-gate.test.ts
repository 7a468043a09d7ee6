import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runGate } from '../../src/app/container/index.js';
import { formatGateOutcome, GATE_FAILED_EXIT, loadGatesFile } from '../../src/app/services/gate.js';
import { renderMarkdown } from '../../src/app/report/index.js';
import { trainBundle } from '../helpers/trained.js';
import { ROOT, SAMPLE_TEST, SAMPLE_TRAIN, rejection, tempDir } from '../helpers/sample.js';

/* The gate use case on real bundles trained on the sample data: both models scored on one test set. */

const FIX = join(ROOT, 'test/fixtures/gates');
const work = tempDir('intentops-gate-');
const dir = (m: string) => join(work, m);

beforeAll(async () => {
  const train = (out: string, seed: number, training = {}) => trainBundle({ data: SAMPLE_TRAIN, out: dir(out), embedder: 'hashed', seed, validation: 'split', training });
  await train('champion', 7);
  await train('challenger', 8);
  await train('weak', 7, { maxEpochs: 1, learningRate: 0.002 });
}, 120_000);

describe('runGate', () => {
  it('passes a comparable challenger against the champion on every gate kind', async () => {
    const run = await runGate({ gatesFile: join(FIX, 'gates.yaml'), candidateDir: dir('challenger'), baselineDir: dir('champion'), data: SAMPLE_TEST });
    expect(run.candidate.model.name).toBe('challenger');
    expect(run.baseline?.model.name).toBe('champion');
    expect(run.candidate.testSetHash).toBe(run.baseline?.testSetHash);
    expect(run.outcome.failed.map((f) => f.message)).toEqual([]);
    expect(run.outcome.passed).toBe(true);
    const kinds = new Set(run.outcome.results.map((r) => r.gate.replace(/[.[].*$/, '')));
    expect([...kinds].sort()).toEqual(['maxEce', 'maxRegression', 'minAcceptedPrecision', 'minAccuracy', 'minCoverage', 'minIntentRecall', 'minMacroF1', 'noSignificantRegression']);
    expect(run.outcome.results.filter((r) => r.gate.startsWith('minIntentRecall'))).toHaveLength(10);
    expect(run.comparison?.significant).toBe(false);
    expect(formatGateOutcome(run.outcome)).toMatch(/PASSED: all 21 gates passed$/);
  });

  it('skips the baseline gates without a baseline', async () => {
    const run = await runGate({ gatesFile: join(FIX, 'gates.yaml'), candidateDir: dir('champion'), data: SAMPLE_TEST });
    expect(run.outcome.passed).toBe(true);
    expect(run.outcome.results.filter((r) => r.skipped).map((r) => r.gate)).toEqual([
      'maxRegression.accuracy',
      'maxRegression.macroF1',
      'maxRegression.acceptedPrecision',
      'maxRegression.coverage',
      'maxRegression.ece',
      'noSignificantRegression',
    ]);
    expect(run.comparison).toBeUndefined();
  });

  it('fails a weak candidate with a readable reason per failed gate', async () => {
    const run = await runGate({ gatesFile: join(FIX, 'strict.yaml'), candidateDir: dir('weak'), baselineDir: dir('champion'), data: SAMPLE_TEST });
    const o = run.outcome;
    expect(o.passed).toBe(false);
    const byGate = new Map(o.failed.map((f) => [f.gate, f.message]));
    expect(byGate.get('minAccuracy')).toMatch(/^accuracy \d+\.\d% is below the minimum 99\.0%$/);
    expect(byGate.get('minCoverage')).toMatch(/^coverage \d+\.\d% is below the minimum 95\.0%$/);
    expect(byGate.get('minIntentRecall[security]')).toMatch(/^recall of intent "security" \d+\.\d% is below the minimum 99\.0% \(\d+ of 15 found\)$/);
    expect(byGate.get('maxRegression.accuracy')).toMatch(/^accuracy fell \d+\.\d pts \(\d+\.\d% → \d+\.\d%\), more than the allowed 0\.0 pts$/);
    expect(byGate.get('noSignificantRegression')).toMatch(/^the candidate makes significantly more errors than the baseline \(McNemar p [<=] 0\.\d+ < α = 0\.05; \d+ examples only the baseline got right, \d+ only the candidate\)$/);
    expect(run.comparison?.better).toBe('a');
    expect(formatGateOutcome(o)).toMatch(/^FAIL {2}minAccuracy: /);
    expect(formatGateOutcome(o)).toMatch(/FAILED: \d+ of \d+ gates failed: minAccuracy, minCoverage, /);
    const md = renderMarkdown({ report: run.candidate, comparison: run.comparison, gates: o });
    expect(md).toContain('#### Quality gates: ❌ failed');
    expect(md).toMatch(/\| ❌ \| noSignificantRegression \| /);
    expect(GATE_FAILED_EXIT).toBe(6);
  });

  it('checks the gates file before evaluating anything', async () => {
    const bad = join(work, 'bad.yaml');
    writeFileSync(bad, 'minAccuracy: 0.9\nmaxRegression:\n  acuracy: 0.01\n');
    const e = await rejection(runGate({ gatesFile: bad, candidateDir: join(work, 'no-such-model'), data: SAMPLE_TEST }));
    expect(e.code).toBe('invalid_config');
    expect(e.where).toBe(`${bad}:3 (maxRegression.acuracy)`);
    const missing = await rejection(runGate({ gatesFile: join(work, 'nope.yaml'), candidateDir: dir('champion'), data: SAMPLE_TEST }));
    expect(missing.code).toBe('not_found');
    expect(() => loadGatesFile(join(FIX, 'bad-type.yaml'))).toThrow(/minAccuracy: Invalid input: expected number, received string/);
  });
});
