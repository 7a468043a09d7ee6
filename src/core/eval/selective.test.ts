import { describe, expect, it } from 'vitest';
import { IntentOpsError } from '../errors.js';
import { acceptedStats, aurc, riskCoverage, riskCoverageCurve } from './index.js';

// Ten examples, shuffled. Ranked by confidence: 0.95 T, 0.9 T, 0.85 T, 0.8 F, 0.7 T, 0.6 T,
// 0.5 T, 0.4 F, 0.3 F, 0.2 F -> correct among the top k: 1,2,3,3,4,5,6,6,6,6.
const conf = [0.6, 0.95, 0.3, 0.8, 0.9, 0.5, 0.7, 0.2, 0.85, 0.4];
const correct = [true, true, false, false, true, true, true, false, true, false];

describe('riskCoverage', () => {
  it('keeps ceil(c*n) most confident examples for the default coverages', () => {
    expect(riskCoverage(correct, conf)).toEqual([
      { coverage: 1, accuracy: 0.6, kept: 10, threshold: 0.2 },
      { coverage: 0.95, accuracy: 0.6, kept: 10, threshold: 0.2 }, // ceil(9.5) = 10
      { coverage: 0.9, accuracy: 6 / 9, kept: 9, threshold: 0.3 },
      { coverage: 0.8, accuracy: 6 / 8, kept: 8, threshold: 0.4 },
      { coverage: 0.7, accuracy: 6 / 7, kept: 7, threshold: 0.5 },
    ]);
  });

  it('is not thrown off by floating-point error in coverage * n', () => {
    // 0.55 * 100 = 55.00000000000001 and 0.07 * 100 = 7.000000000000001: keep 55 and 7, not 56 and 8
    const many = Array.from({ length: 100 }, (_, i) => i % 2 === 0);
    const scores = Array.from({ length: 100 }, (_, i) => 1 - i / 100);
    expect(riskCoverage(many, scores, [0.55, 0.07]).map((p) => p.kept)).toEqual([55, 7]);
    expect(riskCoverage(many, scores, [0.55])[0].threshold).toBeCloseTo(0.46, 12);
  });

  it('handles small coverages and keeps at least one example', () => {
    // ceil, not round: 0.82 * 10 = 8.2 keeps 9 (round would keep 8, covering less than asked);
    // 0.01 * 10 = 0.1 keeps 1 (round would keep none).
    expect(riskCoverage(correct, conf, [0.3, 0.82, 0.05, 0.01])).toEqual([
      { coverage: 0.3, accuracy: 1, kept: 3, threshold: 0.85 },
      { coverage: 0.82, accuracy: 6 / 9, kept: 9, threshold: 0.3 },
      { coverage: 0.05, accuracy: 1, kept: 1, threshold: 0.95 },
      { coverage: 0.01, accuracy: 1, kept: 1, threshold: 0.95 },
    ]);
  });

  it('breaks confidence ties by original index, deterministically', () => {
    // Ranking: #0 (0.9, wrong), #1 (0.9, right), #3 (0.9, wrong), #2 (0.5, right).
    const c = [false, true, true, false];
    const s = [0.9, 0.9, 0.5, 0.9];
    const got = riskCoverage(c, s, [0.25, 0.5, 0.75]);
    expect(got.map((p) => p.accuracy)).toEqual([0, 0.5, 1 / 3]);
    expect(got.map((p) => p.threshold)).toEqual([0.9, 0.9, 0.9]);
    expect(riskCoverage(c, s, [0.25, 0.5, 0.75])).toEqual(got);
    // The same examples in another order: the right answer now comes first among the ties.
    expect(riskCoverage([true, false, true, false], [0.9, 0.9, 0.5, 0.9], [0.25])[0].accuracy).toBe(1);
  });

  it('accepts arbitrary finite scores, not only probabilities', () => {
    expect(riskCoverage([true, false], [-3, 12], [0.5])[0]).toEqual({ coverage: 0.5, accuracy: 0, kept: 1, threshold: 12 });
  });

  it('rejects bad coverages and confidences', () => {
    expect(() => riskCoverage(correct, conf, [0])).toThrow(IntentOpsError);
    expect(() => riskCoverage(correct, conf, [1.01])).toThrow(/coverage/);
    expect(() => riskCoverage([true], [Number.NaN])).toThrow(/finite/);
    expect(() => riskCoverage([true, false], [0.5])).toThrow(/2 items/);
    expect(() => riskCoverage([], [])).toThrow(/empty/);
  });
});

describe('riskCoverageCurve', () => {
  it('samples evenly spaced coverages', () => {
    const curve = riskCoverageCurve(correct, conf, 5);
    expect(curve.map((p) => p.kept)).toEqual([2, 4, 6, 8, 10]);
    expect(curve.map((p) => p.coverage)).toEqual([0.2, 0.4, 0.6, 0.8, 1]);
    [0, 1 / 4, 1 / 6, 1 / 4, 4 / 10].forEach((r, i) => expect(curve[i].risk).toBeCloseTo(r, 12));
    expect(curve.map((p) => p.threshold)).toEqual([0.9, 0.8, 0.6, 0.4, 0.2]);
  });

  it('drops duplicate points when asked for more points than examples', () => {
    const curve = riskCoverageCurve(correct, conf);
    expect(curve.map((p) => p.kept)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(curve[curve.length - 1].coverage).toBe(1);
  });

  it('rejects a non-positive number of points', () => {
    expect(() => riskCoverageCurve(correct, conf, 0)).toThrow(IntentOpsError);
  });
});

describe('aurc', () => {
  it('is the mean risk over the top-k prefixes', () => {
    // risks k=1..3: 0, 1/2, 1/3 -> (0 + 1/2 + 1/3)/3 = 5/18
    expect(aurc([true, false, true], [0.9, 0.8, 0.7])).toBeCloseTo(5 / 18, 12);
    // risks k=1..10: 0,0,0,1/4,1/5,1/6,1/7,2/8,3/9,4/10
    const expected = (1 / 4 + 1 / 5 + 1 / 6 + 1 / 7 + 2 / 8 + 3 / 9 + 4 / 10) / 10;
    expect(aurc(correct, conf)).toBeCloseTo(expected, 12); // 0.1742857
  });

  it('is 0 with no errors, 1 with only errors, and rewards good ranking', () => {
    expect(aurc([true, true], [0.2, 0.1])).toBe(0);
    expect(aurc([false, false], [0.2, 0.1])).toBe(1);
    const good = aurc([true, true, false, false], [0.9, 0.8, 0.2, 0.1]);
    const bad = aurc([true, true, false, false], [0.1, 0.2, 0.8, 0.9]);
    expect(good).toBeLessThan(bad);
  });
});

describe('acceptedStats', () => {
  it('reports coverage and accuracy of accepted examples', () => {
    expect(acceptedStats([true, false, true, false], [true, true, false, false])).toEqual({ coverage: 0.5, acceptedAccuracy: 0.5, accepted: 2, total: 4 });
    expect(acceptedStats([true, true, false], [true, true, true])).toEqual({ coverage: 1, acceptedAccuracy: 2 / 3, accepted: 3, total: 3 });
  });

  it('reports null accuracy when nothing is accepted', () => {
    expect(acceptedStats([true, false], [false, false])).toEqual({ coverage: 0, acceptedAccuracy: null, accepted: 0, total: 2 });
  });

  it('rejects misaligned input', () => {
    expect(() => acceptedStats([true], [true, false])).toThrow(IntentOpsError);
  });
});
