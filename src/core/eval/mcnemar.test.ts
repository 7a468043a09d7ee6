import { describe, expect, it } from 'vitest';
import { IntentOpsError } from '../errors.js';
import { mcnemar } from './index.js';
import { binomialTwoSidedHalf, chiSquare1Survival, erfc } from './special.js';

/** Paired correctness arrays with the given cell counts. */
function pairs(b01: number, b10: number, bothRight = 0, bothWrong = 0): [boolean[], boolean[]] {
  const a: boolean[] = [];
  const b: boolean[] = [];
  const push = (x: boolean, y: boolean, n: number) => {
    for (let i = 0; i < n; i++) {
      a.push(x);
      b.push(y);
    }
  };
  push(false, true, b01);
  push(true, false, b10);
  push(true, true, bothRight);
  push(false, false, bothWrong);
  return [a, b];
}

describe('mcnemar', () => {
  it('uses the exact binomial test below 25 discordant pairs', () => {
    // n = 12, P(X <= 2) = (1 + 12 + 66)/4096 = 79/4096; two-sided p = 158/4096 = 0.0386
    const r = mcnemar(...pairs(10, 2, 30, 5));
    expect(r).toEqual({ b01: 10, b10: 2, statistic: 2, pValue: 158 / 4096 });
    expect(r.pValue).toBeCloseTo(0.0386, 4);
    expect(mcnemar(...pairs(2, 10)).pValue).toBe(r.pValue);
  });

  it('stays exact at 24 discordant pairs and switches to chi-square at 25', () => {
    // 24: sum C(24,k), k=0..6 = 1+24+276+2024+10626+42504+134596 = 190051; p = 2*190051/2^24
    const exact = mcnemar(...pairs(18, 6));
    expect(exact.statistic).toBe(6);
    expect(exact.pValue).toBeCloseTo((2 * 190051) / 2 ** 24, 15); // 0.0226558
    // 25: (|19 - 6| - 1)^2 / 25 = 5.76; p = erfc(sqrt(2.88)) = 0.0163951 (scipy chi2.sf(5.76, 1))
    const chi = mcnemar(...pairs(19, 6));
    expect(chi.statistic).toBeCloseTo(5.76, 12);
    expect(Math.abs(chi.pValue / 0.016395071849192262 - 1)).toBeLessThan(2e-7);
  });

  it('gives the chi-square p-value of a larger table', () => {
    // (|20 - 10| - 1)^2 / 30 = 2.7; chi2.sf(2.7, 1) = 0.1003482
    const r = mcnemar(...pairs(20, 10, 100, 7));
    expect(r.statistic).toBeCloseTo(2.7, 12);
    expect(Math.abs(r.pValue / 0.10034824646229074 - 1)).toBeLessThan(2e-7);
  });

  it('gives p = 1 when the models disagree symmetrically or never', () => {
    expect(mcnemar(...pairs(15, 15))).toEqual({ b01: 15, b10: 15, statistic: 0, pValue: 1 });
    expect(mcnemar(...pairs(3, 3)).pValue).toBe(1);
    expect(mcnemar(...pairs(0, 0, 4, 1))).toEqual({ b01: 0, b10: 0, statistic: 0, pValue: 1 });
  });

  it('rejects misaligned input', () => {
    expect(() => mcnemar([true], [])).toThrow(IntentOpsError);
  });
});

describe('special functions', () => {
  it('erfc is within 1.2e-7 relative error of reference values', () => {
    const ref: [number, number][] = [
      [0, 1],
      [0.5, 0.4795001221869535],
      [1, 0.15729920705028513],
      [2, 0.004677734981047265],
      [3, 2.2090496998585438e-5],
      [-1, 1.842700792949715],
      [-2.5, 1.999593047982555],
    ];
    for (const [x, want] of ref) expect(Math.abs(erfc(x) / want - 1)).toBeLessThan(1.2e-7);
  });

  it('chi-square(1) survival hits the textbook 5% critical value', () => {
    expect(chiSquare1Survival(3.841458820694124)).toBeCloseTo(0.05, 7);
    expect(chiSquare1Survival(0)).toBe(1);
  });

  it('binomial two-sided test sums the smaller tail twice', () => {
    expect(binomialTwoSidedHalf(0, 5)).toBe(2 / 32);
    expect(binomialTwoSidedHalf(5, 5)).toBe(2 / 32);
    expect(binomialTwoSidedHalf(1, 2)).toBe(1);
    expect(binomialTwoSidedHalf(0, 0)).toBe(1);
  });
});
