import { describe, expect, it } from 'vitest';
import { clopperPearsonUpper } from '../eval/bounds.js';
import { calibratePolicy, unreachedDelta, type RoutingSample } from './calibrate.js';
import { widestNearBest } from './near-best.js';

/** n samples, most confident first (distinct confidences), wrong at the given ranks. */
function ranked(n: number, wrong: (rank: number) => boolean): RoutingSample[] {
  return Array.from({ length: n }, (_, i) => ({ confidence: 1 - i / (n + 1), margin: 1 - i / (n + 1), knnAgrees: null, correct: !wrong(i) }));
}

// 600 held-out rows: one early error, then a region at about 2 % errors, then a bad tail. No cut
// can promise 0.97 at delta 0.05 with this few rows; best-bound picks its best promise
const samples = ranked(600, (i) => i === 3 || (i >= 150 && i < 420 && i % 45 === 0) || (i >= 420 && i % 3 === 0));

describe('widestNearBest', () => {
  const chosen = calibratePolicy(samples, 0.97, { delta: 0.05, whenUnreached: 'best-bound' });

  it('takes a wider cut of the same family whose bound is within the tolerance and whose held-out precision meets the target', () => {
    expect(chosen.reachedTarget).toBe(false);
    const wide = widestNearBest(samples, chosen, 0.01);
    expect(wide.coverage).toBeGreaterThan(chosen.coverage);
    expect(wide.precision).toBeGreaterThanOrEqual(0.97);
    expect(wide.precisionBound!).toBeGreaterThanOrEqual(chosen.precisionBound! - 0.01 - 1e-9);
    expect(wide.precisionBound!).toBeLessThanOrEqual(chosen.precisionBound! + 1e-9);
    expect(wide.policy.minMargin).toBe(chosen.policy.minMargin);
    expect(wide.policy.requireKnnAgreement).toBe(chosen.policy.requireKnnAgreement);
    expect(wide.policy.minConfidence).toBeLessThan(chosen.policy.minConfidence);
    expect(wide.reachedTarget).toBe(false);
    // what it says is what the held-out rows show at its cut
    const kept = samples.filter((s) => s.confidence >= wide.policy.minConfidence);
    expect(wide.coverage).toBeCloseTo(kept.length / samples.length, 12);
    expect(wide.precision).toBeCloseTo(kept.filter((s) => s.correct).length / kept.length, 12);
    // not far into the bad tail (one error in three), where the held-out precision soon falls below the target
    expect(kept.length).toBeLessThan(450);
  });

  it('widens more with a larger tolerance, and not at all with none', () => {
    const a = widestNearBest(samples, chosen, 0.005);
    const b = widestNearBest(samples, chosen, 0.03);
    expect(b.coverage).toBeGreaterThanOrEqual(a.coverage);
    expect(a.coverage).toBeGreaterThanOrEqual(chosen.coverage);
    expect(widestNearBest(samples, chosen, 0)).toBe(chosen);
  });

  it('leaves a policy that reached the target, or one without a bound, as it is', () => {
    const clean = ranked(3000, (i) => i % 200 === 0);
    const reached = calibratePolicy(clean, 0.97, { delta: 0.05 });
    expect(reached.reachedTarget).toBe(true);
    expect(widestNearBest(clean, reached, 0.05)).toBe(reached);
    const point = calibratePolicy(samples, 0.97, { delta: 0 });
    expect(widestNearBest(samples, point, 0.05)).toBe(point);
  });
});

describe('unreachedDelta', () => {
  it('is the error probability of every unreached policy\'s bound, which the widened cut is bounded at too', () => {
    // no kNN evidence: 7 margin families × 3, as calibratePolicy splits it
    expect(unreachedDelta(0.05, samples)).toBeCloseTo(0.05 / 21, 15);
    expect(unreachedDelta(0.05, samples.map((x) => ({ ...x, knnAgrees: true })))).toBeCloseTo(0.05 / 42, 15);
    const d = unreachedDelta(0.05, samples);
    for (const whenUnreached of ['best-bound', 'point', 'most-precise'] as const) {
      const p = calibratePolicy(samples, 0.97, { delta: 0.05, whenUnreached });
      expect(p.reachedTarget).toBe(false);
      const kept = Math.round(p.coverage * samples.length);
      expect(p.precisionBound!).toBeCloseTo(1 - clopperPearsonUpper(Math.round((1 - p.precision) * kept), kept, d), 12);
    }
    const chosen = calibratePolicy(samples, 0.97, { delta: 0.05, whenUnreached: 'best-bound' });
    const wide = widestNearBest(samples, chosen, 0.01);
    const kept = Math.round(wide.coverage * samples.length);
    expect(wide.precisionBound!).toBeCloseTo(1 - clopperPearsonUpper(Math.round((1 - wide.precision) * kept), kept, d), 12);
  });
});
