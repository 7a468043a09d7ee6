import { describe, expect, it } from 'vitest';
import type { ComparableReport } from '../eval/compare.js';
import { evaluateGates, type GateResult } from './evaluate.js';
import { gatesSchema, type GatesInput } from './schema.js';

function report(over: Partial<ComparableReport> = {}): ComparableReport {
  return {
    model: { name: 'candidate' },
    accuracy: 0.9,
    macroF1: 0.88,
    weightedF1: 0.89,
    ece: 0.04,
    aurc: 0.05,
    accepted: { coverage: 0.6, acceptedAccuracy: 0.97 },
    perIntent: [
      { label: 'billing', precision: 0.9, recall: 0.9, f1: 0.9, support: 10 },
      { label: 'refund', precision: 0.8, recall: 0.7, f1: 0.75, support: 10 },
      { label: 'unused', precision: 0, recall: 0, f1: 0, support: 0 },
    ],
    correctness: '1'.repeat(90) + '0'.repeat(10),
    testSetHash: 'h',
    ...over,
  };
}

const gates = (g: GatesInput) => gatesSchema.parse(g);
const only = (rs: GateResult[], gate: string) => {
  const r = rs.find((x) => x.gate === gate);
  if (!r) throw new Error(`no result for ${gate}: ${rs.map((x) => x.gate).join(', ')}`);
  return r;
};

describe('evaluateGates: absolute gates', () => {
  it.each([
    ['minAccuracy', { minAccuracy: 0.85 }, { minAccuracy: 0.95 }, 'accuracy 90.0% meets the minimum 85.0%', 'accuracy 90.0% is below the minimum 95.0%'],
    ['minMacroF1', { minMacroF1: 0.8 }, { minMacroF1: 0.9 }, 'macro-F1 88.0% meets the minimum 80.0%', 'macro-F1 88.0% is below the minimum 90.0%'],
    ['minAcceptedPrecision', { minAcceptedPrecision: 0.95 }, { minAcceptedPrecision: 0.98 }, 'accepted precision 97.0% meets the minimum 95.0%', 'accepted precision 97.0% is below the minimum 98.0%'],
    ['minCoverage', { minCoverage: 0.5 }, { minCoverage: 0.7 }, 'coverage 60.0% meets the minimum 50.0%', 'coverage 60.0% is below the minimum 70.0%'],
    ['maxEce', { maxEce: 0.05 }, { maxEce: 0.03 }, 'ECE 0.040 is within the maximum 0.050', 'ECE 0.040 is above the maximum 0.030'],
  ] as const)('%s passes and fails with a readable reason', (gate, ok, bad, okMsg, badMsg) => {
    const pass = evaluateGates(gates(ok), report());
    expect(pass.passed).toBe(true);
    expect(only(pass.results, gate)).toMatchObject({ passed: true, skipped: false, message: okMsg });
    const fail = evaluateGates(gates(bad), report());
    expect(fail.passed).toBe(false);
    expect(fail.failed).toHaveLength(1);
    expect(only(fail.results, gate)).toMatchObject({ passed: false, limit: Object.values(bad)[0], message: badMsg });
    expect(fail.summary).toBe(`1 of 1 gates failed: ${gate}`);
  });

  it('passes a metric exactly at its limit despite floating-point noise', () => {
    expect(evaluateGates(gates({ minAccuracy: 0.7 }), report({ accuracy: 0.1 + 0.6 - 1e-16 })).passed).toBe(true);
  });

  it('fails accepted precision when nothing was accepted', () => {
    const o = evaluateGates(gates({ minAcceptedPrecision: 0.9 }), report({ accepted: { coverage: 0, acceptedAccuracy: null } }));
    expect(o.failed[0]).toMatchObject({ actual: null, message: "accepted precision is undefined: no message was accepted at the bundle's thresholds" });
  });
});

describe('evaluateGates: per-intent recall', () => {
  it('applies the default to every intent with support and overrides per intent', () => {
    const o = evaluateGates(gates({ minIntentRecall: { default: 0.6, intents: { refund: 0.75 } } }), report());
    expect(o.results.map((r) => r.gate)).toEqual(['minIntentRecall[billing]', 'minIntentRecall[refund]']);
    expect(only(o.results, 'minIntentRecall[billing]')).toMatchObject({ passed: true, limit: 0.6 });
    expect(only(o.results, 'minIntentRecall[refund]')).toMatchObject({ passed: false, actual: 0.7, limit: 0.75, message: 'recall of intent "refund" 70.0% is below the minimum 75.0% (7 of 10 found)' });
  });

  it('checks only the overrides without a default, and fails overrides it cannot check', () => {
    const o = evaluateGates(gates({ minIntentRecall: { intents: { billing: 0.5, unused: 0.5, ghost: 0.5 } } }), report());
    expect(o.results.map((r) => [r.gate, r.passed])).toEqual([
      ['minIntentRecall[billing]', true],
      ['minIntentRecall[unused]', false],
      ['minIntentRecall[ghost]', false],
    ]);
    expect(only(o.results, 'minIntentRecall[unused]').message).toBe('intent "unused" has no examples in the test data, so its recall cannot be checked');
    expect(only(o.results, 'minIntentRecall[ghost]').message).toMatch(/is not an intent of the model or the test data/);
  });
});

describe('evaluateGates: against a baseline', () => {
  const baseline = report({ model: { name: 'champion' }, accuracy: 0.91, macroF1: 0.9, ece: 0.03, accepted: { coverage: 0.6, acceptedAccuracy: 0.96 } });

  it('skips baseline gates without a baseline (they count as passed)', () => {
    const o = evaluateGates(gates({ maxRegression: { accuracy: 0.005 }, noSignificantRegression: true }), report());
    expect(o.passed).toBe(true);
    expect(o.results.every((r) => r.skipped && r.passed)).toBe(true);
    expect(o.summary).toBe('all 2 gates passed (2 skipped: no baseline)');
    expect(o.comparison).toBeUndefined();
  });

  it('fails a regression beyond its allowance, per metric and direction', () => {
    const o = evaluateGates(gates({ maxRegression: { accuracy: 0.005, macroF1: 0.05, acceptedPrecision: 0, ece: 0.005 } }), report(), baseline);
    expect(only(o.results, 'maxRegression.accuracy')).toMatchObject({ passed: false, limit: 0.005, message: 'accuracy fell 1.0 pts (91.0% → 90.0%), more than the allowed 0.5 pts' });
    expect(only(o.results, 'maxRegression.accuracy').actual).toBeCloseTo(0.01, 12);
    expect(only(o.results, 'maxRegression.macroF1')).toMatchObject({ passed: true, message: 'macro-F1 changed −2.0 pts (90.0% → 88.0%), within the allowed 5.0 pts' });
    expect(only(o.results, 'maxRegression.acceptedPrecision')).toMatchObject({ passed: true, message: 'accepted precision changed +1.0 pts (96.0% → 97.0%), within the allowed 0.0 pts' });
    expect(only(o.results, 'maxRegression.ece')).toMatchObject({ passed: false, message: 'ECE rose 0.010 (0.030 → 0.040), more than the allowed 0.005' });
    expect(o.summary).toBe('2 of 4 gates failed: maxRegression.accuracy, maxRegression.ece');
    expect(o.comparison?.a).toBe('champion');
  });

  it('prints more decimals when a failing drop would round to its allowance', () => {
    const o = evaluateGates(gates({ maxRegression: { macroF1: 0.02 } }), report({ macroF1: 0.8796 }), report({ macroF1: 0.9 }));
    expect(o.failed[0].message).toBe('macro-F1 fell 2.04 pts (90.0% → 88.0%), more than the allowed 2.00 pts');
  });

  it('fails a regression when the candidate accepts nothing', () => {
    const o = evaluateGates(gates({ maxRegression: { acceptedPrecision: 0.5 } }), report({ accepted: { coverage: 0, acceptedAccuracy: null } }), baseline);
    expect(o.failed[0].message).toBe("the candidate's accepted precision is undefined: it accepts no message at its thresholds");
  });

  it('fails a significant McNemar regression and passes an insignificant one', () => {
    const worse = report({ correctness: '1'.repeat(70) + '0'.repeat(30) });
    const base = report({ model: { name: 'champion' } });
    const bad = evaluateGates(gates({ noSignificantRegression: true }), worse, base);
    expect(bad.passed).toBe(false);
    expect(bad.failed[0]).toMatchObject({ gate: 'noSignificantRegression', limit: 0.05 });
    expect(bad.failed[0].message).toBe('the candidate makes significantly more errors than the baseline (McNemar p < 0.001 < α = 0.05; 20 examples only the baseline got right, 0 only the candidate)');
    const close = report({ correctness: '1'.repeat(88) + '0'.repeat(12) });
    const ok = evaluateGates(gates({ noSignificantRegression: true }), close, base);
    expect(ok.passed).toBe(true);
    expect(ok.results[0].message).toBe('no significant difference (McNemar p = 0.5, α = 0.05; 2 examples only the baseline got right, 0 only the candidate)');
    const better = evaluateGates(gates({ noSignificantRegression: true }), base, worse);
    expect(better.results[0].message).toMatch(/^the candidate is significantly better/);
  });

  it('refuses a baseline evaluated on other data', () => {
    expect(() => evaluateGates(gates({ minAccuracy: 0.5 }), report(), report({ testSetHash: 'other' }))).toThrow(/same test set/);
  });
});
