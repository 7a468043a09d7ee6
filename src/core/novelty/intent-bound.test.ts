import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../dataset/index.js';
import { clopperPearsonUpper } from '../eval/bounds.js';
import { intentPassBound, type IntentPasses } from './intent-bound.js';

/**
 * Simulated leave-intents-out evidence: each of `C` intents is, with probability `twin`, a
 * near-twin of a known intent whose messages pass at rate `w`; the others pass at rate `rest`.
 * Every passing message lands in bin 0 (one cut: e = 0 counts all of them, e = 1 none).
 */
function simulate(rand: () => number, C: number, n: number, twin: number, w: number, rest: number): IntentPasses[] {
  return Array.from({ length: C }, () => {
    const rate = rand() < twin ? w : rest;
    let k = 0;
    for (let i = 0; i < n; i++) if (rand() < rate) k++;
    return { n, passes: [k] };
  });
}

describe('intentPassBound', () => {
  it('covers the population pass rate of clustered unknowns at its stated rate, where a message-level bound does not', () => {
    const rand = mulberry32(7);
    const delta = 0.1;
    const [twin, w, rest] = [0.25, 0.3, 0.002];
    const truth = twin * w + (1 - twin) * rest;
    const trials = 300;
    let covered = 0;
    let coveredByMessages = 0;
    for (let t = 0; t < trials; t++) {
      const intents = simulate(rand, 30, 80, twin, w, rest);
      const bound = intentPassBound(intents, 1, { delta, resamples: 400, seed: t + 1 });
      if (bound[0] >= truth) covered++;
      const k = intents.reduce((a, g) => a + g.passes[0], 0);
      if (clopperPearsonUpper(k, 30 * 80, delta) >= truth) coveredByMessages++;
    }
    // a percentile bootstrap under-covers a little with 30 skewed clusters: allow 4 points
    expect(covered / trials).toBeGreaterThanOrEqual(1 - delta - 0.04);
    // counting messages as independent trials misses the intent-to-intent spread
    expect(coveredByMessages / trials).toBeLessThan(0.8);
  });

  it('is non-increasing over the cuts, 0 above every pass, and scales to the served model', () => {
    const intents: IntentPasses[] = [
      { n: 10, passes: [1, 2, 3], knownClasses: 10 },
      { n: 10, passes: [0, 0, 1], knownClasses: 10 },
      { n: 10, passes: [2, 0, 0], knownClasses: 10 },
    ];
    const b = intentPassBound(intents, 3, { delta: 0.05, seed: 3 });
    expect(b).toHaveLength(4);
    for (let e = 1; e < b.length; e++) expect(b[e]).toBeLessThanOrEqual(b[e - 1]);
    expect(b[3]).toBe(0);
    // the pooled rate at e = 0 is 9/30; the bound is above it
    expect(b[0]).toBeGreaterThan(9 / 30);
    const scaled = intentPassBound(intents, 3, { delta: 0.05, seed: 3, knownClasses: 20 });
    expect(scaled[1]).toBeCloseTo(Math.min(1, 2 * b[1]), 10);
  });

  it('knows nothing from fewer than two intents', () => {
    expect(intentPassBound([{ n: 5, passes: [0, 0] }], 2, { delta: 0.05 })).toEqual([1, 1, 1]);
  });
});
