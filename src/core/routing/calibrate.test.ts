import { describe, expect, it } from 'vitest';
import { clopperPearsonUpper } from '../eval/bounds.js';
import { calibratePolicy, type RoutingSample } from './calibrate.js';

const s = (confidence: number, correct: boolean, margin = confidence, knnAgrees: boolean | null = null): RoutingSample => ({ confidence, margin, knnAgrees, correct });

describe('calibratePolicy', () => {
  it('takes the widest confidence cut whose accepted accuracy meets the target', () => {
    // sorted by confidence: 8 right, then a wrong one at 0.55, then right ones
    const samples = [0.99, 0.97, 0.95, 0.93, 0.9, 0.85, 0.8, 0.7].map((c) => s(c, true));
    samples.push(s(0.55, false), s(0.5, true), s(0.4, false), s(0.3, false));
    const r = calibratePolicy(samples, 0.9, { delta: 0 });
    // accepting down to 0.5 keeps 10 with 9 right = 0.9 ≥ 0.9: the widest that meets the target
    expect(r.policy.minConfidence).toBe(0.5);
    expect(r.coverage).toBeCloseTo(10 / 12, 12);
    expect(r.precision).toBeCloseTo(0.9, 12);
    expect(r.reachedTarget).toBe(true);
    const strict = calibratePolicy(samples, 0.95, { delta: 0 });
    expect(strict.policy.minConfidence).toBe(0.7);
    expect(strict.coverage).toBeCloseTo(8 / 12, 12);
  });

  it('never cuts between equal confidences', () => {
    const r = calibratePolicy([s(0.9, true), s(0.8, true), s(0.8, false), s(0.1, false)], 0.9, { delta: 0 });
    expect(r.policy.minConfidence).toBe(0.9);
    expect(r.coverage).toBe(0.25);
  });

  it('uses the margin or kNN agreement when that accepts more at the same precision', () => {
    // confident but wrong ones have small margins; a margin rule separates them, confidence cannot
    const samples = [
      ...Array.from({ length: 8 }, (_, i) => s(0.9 - i * 0.01, true, 0.5)),
      s(0.95, false, 0.01),
      s(0.94, false, 0.01),
    ];
    const r = calibratePolicy(samples, 0.97, { delta: 0 });
    expect(r.policy.minMargin).toBeGreaterThan(0.01);
    expect(r.coverage).toBeCloseTo(0.8, 12);
    expect(r.precision).toBe(1);
    const knn = calibratePolicy(
      [...Array.from({ length: 8 }, (_, i) => s(0.9 - i * 0.01, true, 0.9, true)), s(0.95, false, 0.9, false), s(0.94, false, 0.9, false)],
      0.97,
      { delta: 0 },
    );
    expect(knn.policy.requireKnnAgreement).toBe(true);
    expect(knn.coverage).toBeCloseTo(0.8, 12);
  });

  it('reports when the target cannot be reached and falls back to the most precise policy', () => {
    const r = calibratePolicy([s(0.9, false), s(0.8, true), s(0.7, false)], 0.99, { delta: 0 });
    expect(r.reachedTarget).toBe(false);
    expect(r.precision).toBeCloseTo(0.5, 12);
  });

  it('unreached target with a bound: the best promise, not the longest run of zero errors at the top', () => {
    // 600 messages (a seed of ~8 per intent): 40 right at the top, then one error, then 200 with
    // 4 errors, then a weak tail. No cut promises 0.97 at delta 0.05; the most precise cut is the
    // first 40 (precision 1, bound 0.85); the best bound among the cuts at or above 0.97 accepts the
    // first 241 (5 errors, precision 0.979, bound 0.93).
    const rows = [
      ...Array.from({ length: 40 }, (_, i) => s(0.999 - i * 0.0001, true)),
      s(0.99, false),
      ...Array.from({ length: 200 }, (_, i) => s(0.98 - i * 0.0001, i % 50 !== 10)),
      ...Array.from({ length: 359 }, (_, i) => s(0.5 - i * 0.001, i % 2 === 1)),
    ];
    const best = calibratePolicy(rows, 0.97);
    const precise = calibratePolicy(rows, 0.97, { whenUnreached: 'most-precise' });
    expect(best.reachedTarget).toBe(false);
    expect(precise.reachedTarget).toBe(false);
    expect(precise.coverage).toBeCloseTo(40 / 600, 12);
    expect(precise.precision).toBe(1);
    expect(best.coverage).toBeCloseTo(241 / 600, 12);
    expect(best.precision).toBeCloseTo(236 / 241, 12);
    expect(best.precisionBound!).toBeGreaterThan(precise.precisionBound!);
    expect(best.precisionBound!).toBeLessThan(0.97);
    // point: the widest cut whose held-out precision meets the target (245 rows, 7 wrong, 0.971), its bound recorded
    const point = calibratePolicy(rows, 0.97, { whenUnreached: 'point' });
    expect(point.reachedTarget).toBe(false);
    expect(point.precision).toBeGreaterThanOrEqual(0.97);
    expect(point.coverage).toBeCloseTo(245 / 600, 12);
    expect(point.coverage).toEqual(calibratePolicy(rows, 0.97, { delta: 0 }).coverage);
    expect(point.precisionBound!).toBeLessThan(point.precision);
    // a cut below the target is never chosen, however good its bound: at 0.99 only the top 40 meet it
    const strict = calibratePolicy(rows, 0.99);
    expect(strict.coverage).toBeCloseTo(40 / 600, 12);
    expect(strict.precision).toBe(1);
  });

  describe('with a bound (the default)', () => {
    // 2,000 messages: confidence i/2000, wrong with probability rising as confidence falls
    let seed = 11;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const many = Array.from({ length: 2000 }, (_, i) => {
      const c = 1 - i / 2000;
      return s(c, rand() > (1 - c) ** 2 * 0.2, c);
    });

    it('accepts less than the point estimate would, and its bound keeps the target', () => {
      const point = calibratePolicy(many, 0.97, { delta: 0 });
      const bounded = calibratePolicy(many, 0.97);
      expect(point.reachedTarget).toBe(true);
      expect(bounded.reachedTarget).toBe(true);
      expect(bounded.coverage).toBeLessThan(point.coverage);
      expect(bounded.coverage).toBeGreaterThan(0.3);
      expect(bounded.precisionBound!).toBeGreaterThanOrEqual(0.97);
      expect(bounded.precision).toBeGreaterThan(bounded.precisionBound!);
      expect(bounded.delta).toBe(0.05);
    });

    it('one walk at the whole delta: the widest cut whose Clopper–Pearson bound at delta keeps the target, up to the first that does not', () => {
      const r = calibratePolicy(many, 0.97);
      const kept = Math.round(r.coverage * many.length);
      const wrong = Math.round((1 - r.precision) * kept);
      // the promise is the bound at delta itself (no split over families or starts)
      expect(r.precisionBound!).toBeCloseTo(1 - clopperPearsonUpper(wrong, kept, 0.05), 12);
      expect(r.precisionBound!).toBeGreaterThanOrEqual(0.97);
      // sorted by confidence (distinct here), the next looser cut fails the bound: the walk ended there
      const sorted = [...many].sort((a, b) => b.confidence - a.confidence);
      const nextWrong = sorted.slice(0, kept + 1).filter((x) => !x.correct).length;
      expect(1 - clopperPearsonUpper(nextWrong, kept + 1, 0.05)).toBeLessThan(0.97);
      // and it accepts more than a walk whose delta is split 42 ways would
      expect(r.coverage).toBeGreaterThan(calibratePolicy(many, 0.97, { delta: 0.05 / 42 }).coverage);
    });

    it('walks the confidence cut alone: a margin rule that would accept more is the point estimate\'s only', () => {
      // 1,000 right answers with wide margins, then 100 confident wrong ones with narrow margins,
      // then more right ones: only a margin rule skips the wrong ones
      const rows = [
        ...Array.from({ length: 1000 }, (_, i) => s(0.999 - i * 0.0001, true, 0.9)),
        ...Array.from({ length: 100 }, (_, i) => s(0.89 - i * 0.0001, false, 0.01)),
        ...Array.from({ length: 1000 }, (_, i) => s(0.88 - i * 0.0001, true, 0.9)),
      ];
      expect(calibratePolicy(rows, 0.97, { delta: 0 }).policy.minMargin).toBeGreaterThan(0.01);
      const bounded = calibratePolicy(rows, 0.97);
      expect(bounded.policy.minMargin).toBe(0);
      expect(bounded.policy.requireKnnAgreement).toBe(false);
      expect(bounded.reachedTarget).toBe(true);
    });

    it('starts the walk at the most confident 15 %: an unlucky error among the very first does not end it', () => {
      // two errors among the first 100 (their own bound fails), none after: the walk from 15 % reaches every cut
      const rows = Array.from({ length: 2000 }, (_, i) => s(1 - i / 2000, i !== 3 && i !== 7));
      const r = calibratePolicy(rows, 0.97);
      expect(r.reachedTarget).toBe(true);
      expect(r.coverage).toBe(1);
    });

    it('a smaller delta promises with more certainty and accepts less', () => {
      expect(calibratePolicy(many, 0.97, { delta: 0.001 }).coverage).toBeLessThan(calibratePolicy(many, 0.97, { delta: 0.1 }).coverage);
    });

    it('too few messages cannot carry a promise: the target is reported as not reached', () => {
      // 50 all-correct messages: the 95 % bound on zero errors in 50 is 5.8 %, above 3 %
      const r = calibratePolicy(Array.from({ length: 50 }, (_, i) => s(0.9 - i * 0.001, true)), 0.97);
      expect(r.reachedTarget).toBe(false);
      expect(r.precision).toBe(1);
      expect(r.precisionBound!).toBeLessThan(0.97);
    });
  });
});
