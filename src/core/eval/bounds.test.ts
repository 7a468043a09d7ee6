import { describe, expect, it } from 'vitest';
import { betaInc, clopperPearsonLower, clopperPearsonUpper, normalQuantile, wilsonInterval } from './bounds.js';

describe('binomial bounds', () => {
  it('betaInc matches closed forms', () => {
    // I_x(1, 1) = x; I_x(a, 1) = x^a; I_x(1, b) = 1 − (1 − x)^b
    expect(betaInc(1, 1, 0.3)).toBeCloseTo(0.3, 12);
    expect(betaInc(3, 1, 0.5)).toBeCloseTo(0.125, 12);
    expect(betaInc(1, 4, 0.2)).toBeCloseTo(1 - 0.8 ** 4, 12);
    // symmetry I_x(a, b) = 1 − I_{1−x}(b, a)
    expect(betaInc(7.5, 2.5, 0.6) + betaInc(2.5, 7.5, 0.4)).toBeCloseTo(1, 12);
  });

  it('Clopper–Pearson: zero events in n has the closed form 1 − δ^(1/n)', () => {
    for (const n of [1, 10, 100, 5000]) expect(clopperPearsonUpper(0, n, 0.05)).toBeCloseTo(1 - 0.05 ** (1 / n), 9);
    // the rule of three: ≈ 3/n for large n
    expect(clopperPearsonUpper(0, 3000, 0.05)).toBeCloseTo(3 / 3000, 4);
  });

  it('Clopper–Pearson matches published values and is monotone', () => {
    // scipy.stats.beta.ppf(0.95, 6, 95) = 0.10225
    expect(clopperPearsonUpper(5, 100, 0.05)).toBeCloseTo(0.10225, 4);
    // scipy.stats.beta.ppf(0.05, 30, 971) = 0.021675
    expect(clopperPearsonLower(30, 1000, 0.05)).toBeCloseTo(0.021675, 4);
    expect(clopperPearsonUpper(30, 1000, 0.05)).toBeGreaterThan(0.03);
    expect(clopperPearsonUpper(30, 1000, 0.05)).toBeLessThan(clopperPearsonUpper(31, 1000, 0.05));
    expect(clopperPearsonUpper(30, 1000, 0.05)).toBeGreaterThan(clopperPearsonUpper(60, 2000, 0.05));
    expect(clopperPearsonUpper(0, 0, 0.05)).toBe(1);
  });

  it('covers the true rate at least 1 − δ of the time (simulation)', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    let covered = 0;
    const trials = 400;
    for (let t = 0; t < trials; t++) {
      let k = 0;
      for (let i = 0; i < 200; i++) if (rand() < 0.04) k++;
      if (clopperPearsonUpper(k, 200, 0.1) >= 0.04) covered++;
    }
    expect(covered / trials).toBeGreaterThanOrEqual(0.86);
  });

  it('normal quantiles and the Wilson interval', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.05)).toBeCloseTo(-1.644854, 5);
    const w = wilsonInterval(90, 100, 0.95);
    // textbook: 90/100 → [0.8256, 0.9448]
    expect(w.lower).toBeCloseTo(0.8256, 3);
    expect(w.upper).toBeCloseTo(0.9448, 3);
    expect(wilsonInterval(0, 0).upper).toBe(1);
    expect(wilsonInterval(10, 10).upper).toBe(1);
  });
});
