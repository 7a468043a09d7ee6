import { describe, expect, it } from 'vitest';
import { IntentOpsError } from '../errors.js';
import { compareReports, correctnessFlags, formatDelta, formatPValue, formatPts, type ComparableReport } from './compare.js';

/** A report whose correctness has `right` ones then zeros; other figures derived or fixed. */
function report(name: string, correctness: string, over: Partial<ComparableReport> = {}): ComparableReport {
  const acc = [...correctness].filter((c) => c === '1').length / correctness.length;
  return {
    model: { name },
    accuracy: acc,
    macroF1: acc,
    weightedF1: acc,
    ece: 0.05,
    aurc: 0.1,
    accepted: { coverage: 0.5, acceptedAccuracy: 0.97 },
    perIntent: [
      { label: 'billing', precision: 0.9, recall: 0.8, f1: 0.85, support: 10 },
      { label: 'refund', precision: 0.7, recall: 0.6, f1: 0.65, support: 10 },
    ],
    correctness,
    testSetHash: 'h',
    ...over,
  };
}

/** `both` examples both right, then `onlyA`, `onlyB`, `neither`. */
function pair(both: number, onlyA: number, onlyB: number, neither: number): [string, string] {
  const a = '1'.repeat(both) + '1'.repeat(onlyA) + '0'.repeat(onlyB) + '0'.repeat(neither);
  const b = '1'.repeat(both) + '0'.repeat(onlyA) + '1'.repeat(onlyB) + '0'.repeat(neither);
  return [a, b];
}

describe('compareReports', () => {
  it('calls B better when McNemar is significant in its favour', () => {
    const [a, b] = pair(80, 2, 10, 8);
    const c = compareReports(report('champion', a), report('challenger', b));
    expect(c.mcnemar).toMatchObject({ b01: 10, b10: 2 });
    expect(c.mcnemar.pValue).toBeCloseTo((2 * 79) / 4096, 10); // exact binomial, 12 discordant pairs
    expect(c.significant).toBe(true);
    expect(c.better).toBe('b');
    expect(c.verdict).toBe('B (challenger) is better than A (champion): +8.0 pts accuracy, McNemar p = 0.039');
    expect(c.metrics.find((m) => m.metric === 'accuracy')).toMatchObject({ a: 0.82, b: 0.9 });
    expect(c.metrics.find((m) => m.metric === 'accuracy')!.delta).toBeCloseTo(0.08, 12);
  });

  it('calls B worse when the significant difference favours A', () => {
    const [a, b] = pair(40, 30, 5, 25);
    const c = compareReports(report('old', a), report('new', b));
    expect(c.better).toBe('a');
    expect(c.verdict).toMatch(/^B \(new\) is worse than A \(old\): −25\.0 pts accuracy, McNemar p < 0\.001$/);
  });

  it('reports no significant difference for a small gap', () => {
    const [a, b] = pair(80, 4, 6, 10);
    const c = compareReports(report('a', a), report('b', b));
    expect(c.significant).toBe(false);
    expect(c.better).toBeNull();
    expect(c.mcnemar.pValue).toBeCloseTo(0.7539, 4);
    expect(c.verdict).toBe('no significant difference between A (a) and B (b) (p = 0.75, +2.0 pts accuracy, α = 0.05)');
  });

  it('honours alpha', () => {
    const [a, b] = pair(80, 2, 10, 8); // p ≈ 0.039
    expect(compareReports(report('a', a), report('b', b), 0.01).significant).toBe(false);
  });

  it('gives per-intent deltas over the union of intents', () => {
    const [a, b] = pair(10, 0, 0, 0);
    const ra = report('a', a);
    const rb = report('b', b, { perIntent: [{ label: 'refund', precision: 0.8, recall: 0.7, f1: 0.75, support: 10 }, { label: 'new_intent', precision: 1, recall: 1, f1: 1, support: 3 }] });
    const c = compareReports(ra, rb);
    expect(c.perIntent.map((d) => d.label)).toEqual(['billing', 'refund', 'new_intent']);
    expect(c.perIntent[0]).toMatchObject({ b: null, f1: null });
    expect(c.perIntent[1].precision).toBeCloseTo(0.1, 12);
    expect(c.perIntent[1].f1).toBeCloseTo(0.1, 12);
    expect(c.perIntent[2]).toMatchObject({ a: null, recall: null });
  });

  it('keeps metric deltas null when a side is undefined', () => {
    const [a, b] = pair(10, 0, 0, 0);
    const c = compareReports(report('a', a, { accepted: { coverage: 0, acceptedAccuracy: null } }), report('b', b));
    expect(c.metrics.find((m) => m.metric === 'acceptedPrecision')).toMatchObject({ a: null, b: 0.97, delta: null });
  });

  it('refuses reports from different test sets', () => {
    expect(() => compareReports(report('a', '101'), report('b', '1011'))).toThrow(/not computed on the same test set/);
    expect(() => compareReports(report('a', '101'), report('b', '101', { testSetHash: 'other' }))).toThrow(IntentOpsError);
    expect(() => compareReports(report('a', '101'), report('b', '1x1'))).toThrow(/character 1 of correctness is "x"/);
    expect(() => compareReports(report('a', '101'), report('b', '101'), 1.5)).toThrow(/alpha/);
  });
});

describe('formatting', () => {
  it('formats p-values, points and deltas', () => {
    expect(formatPValue(0.41)).toBe('p = 0.41');
    expect(formatPValue(0.003)).toBe('p = 0.003');
    expect(formatPValue(0.0004)).toBe('p < 0.001');
    expect(formatPValue(0.0386)).toBe('p = 0.039');
    expect(formatPValue(0.0496)).toBe('p = 0.0496');
    expect(formatPValue(0.05)).toBe('p = 0.05');
    expect(formatPValue(1)).toBe('p = 1');
    expect(formatPts(0.012)).toBe('+1.2 pts');
    expect(formatPts(-0.004)).toBe('−0.4 pts');
    expect(formatPts(0.0001)).toBe('±0.0 pts');
    expect(formatDelta('abs', -0.0123)).toBe('−0.012');
    expect(formatDelta('abs', null)).toBe('–');
    expect(correctnessFlags('10')).toEqual([true, false]);
  });
});
