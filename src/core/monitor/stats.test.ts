import { describe, expect, it } from 'vitest';
import { chiSquareSurvival, chiSquareTest, gammaQ, ksBinned, lnGamma, psi, quantile } from './stats.js';

describe('lnGamma', () => {
  it('matches factorials and Γ(1/2) = √π', () => {
    expect(lnGamma(1)).toBeCloseTo(0, 13);
    expect(lnGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(lnGamma(20)).toBeCloseTo(Math.log(121645100408832000), 10);
    expect(lnGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 13);
    expect(lnGamma(0.1)).toBeCloseTo(2.252712651734206, 12);
  });
});

describe('chiSquareSurvival (scipy.stats.chi2.sf reference values)', () => {
  const cases: [number, number, number][] = [
    [3.841458820694124, 1, 0.05],
    [10, 5, 0.07523524614651217],
    [124.3421134, 100, 0.05000000002527232],
    [1, 1, 0.31731050786291115],
    [0.5, 3, 0.9188914116546758],
    [50, 76, 0.9907893884097426],
    [300, 250, 0.016518273157868715],
    [1000, 900, 0.010994608942135844],
    [35, 10, 0.0001248652527830378],
    [0.01, 0.5, 0.7069191052789804],
  ];
  it.each(cases)('sf(%d, df %d) = %d', (x, df, want) => {
    expect(chiSquareSurvival(x, df)).toBeCloseTo(want, 10);
  });

  it('tiny tails keep their relative precision; closed forms for even df hold', () => {
    expect(chiSquareSurvival(200, 76) / 4.252358647649913e-13).toBeCloseTo(1, 8);
    for (const x of [0.3, 2, 7.5, 40]) {
      expect(chiSquareSurvival(x, 2)).toBeCloseTo(Math.exp(-x / 2), 13);
      expect(chiSquareSurvival(x, 4)).toBeCloseTo(Math.exp(-x / 2) * (1 + x / 2), 13);
    }
  });

  it('is 1 at or below 0 and NaN for a meaningless shape', () => {
    expect(chiSquareSurvival(0, 3)).toBe(1);
    expect(chiSquareSurvival(-1, 3)).toBe(1);
    expect(gammaQ(0, 1)).toBeNaN();
  });
});

describe('psi', () => {
  it('is the textbook value without smoothing and 0 for equal distributions', () => {
    expect(psi([0.1, 0.2, 0.3, 0.4], [0.2, 0.2, 0.2, 0.4], 0)).toBeCloseTo(0.10986122886681095, 14);
    expect(psi([5, 5, 10], [50, 50, 100])).toBeCloseTo(0, 2);
    expect(psi([5, 5, 10], [5, 5, 10])).toBe(0);
  });

  it('smooths empty bins to a finite value (numpy reference)', () => {
    expect(psi([50, 30, 20, 0], [20, 30, 40, 10], 0.5)).toBeCloseTo(0.6971492121637783, 13);
  });

  it('grows with the shift and is symmetric', () => {
    const ref = [100, 100, 100, 100];
    const small = psi(ref, [110, 100, 95, 95]);
    const big = psi(ref, [250, 50, 50, 50]);
    expect(small).toBeLessThan(0.01);
    expect(big).toBeGreaterThan(0.25);
    expect(psi([250, 50, 50, 50], ref)).toBeCloseTo(big, 12);
  });

  it('rejects bins of different lengths', () => {
    expect(() => psi([1, 2], [1, 2, 3])).toThrow(/bin counts differ/);
  });
});

describe('chiSquareTest', () => {
  it('matches scipy.stats.chisquare with the smoothed expected counts', () => {
    const r = chiSquareTest([50, 30, 20, 0], [20, 30, 40, 10], 0.5);
    expect(r.df).toBe(3);
    expect(r.statistic).toBeCloseTo(221.78732467409077, 9);
    expect(r.pValue / 8.247985229097422e-48).toBeCloseTo(1, 6);
  });

  it('does not reject live data drawn in the reference proportions, rejects a clear shift', () => {
    expect(chiSquareTest([300, 200, 100], [150, 100, 50]).pValue).toBeGreaterThan(0.9);
    expect(chiSquareTest([300, 200, 100], [100, 100, 100]).pValue).toBeLessThan(1e-6);
    expect(chiSquareTest([1, 2], [0, 0])).toEqual({ statistic: 0, df: 1, pValue: 1 });
  });
});

describe('ksBinned', () => {
  it('equals the two-sample KS statistic of data sitting on the bins (scipy ks_2samp)', () => {
    expect(ksBinned([3, 5, 2], [1, 2, 7])).toBeCloseTo(0.5, 14);
    expect(ksBinned([1, 1], [2, 2])).toBe(0);
    expect(ksBinned([0, 0], [1, 1])).toBe(0);
  });
});

describe('quantile', () => {
  it('interpolates like numpy.quantile (linear)', () => {
    expect(quantile([4, 1, 3, 2], 0.5)).toBeCloseTo(2.5, 14);
    expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.95)).toBeCloseTo(9.55, 12);
    expect(quantile([], 0.5)).toBeNaN();
  });
});
