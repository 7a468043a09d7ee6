import { describe, expect, it } from 'vitest';
import { fisherExact, logGamma, normalCdf, normalQuantile, requiredPerArm, twoProportionZ, wilsonInterval } from './significance.js';

// reference values from scipy 1.17 (stats.fisher_exact, stats.norm) on this machine
describe('A/B significance tests', () => {
  it('normal CDF and quantile', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 6);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 6);
    expect(normalQuantile(0.8)).toBeCloseTo(0.8416212335729143, 6);
    expect(normalQuantile(1e-4)).toBeCloseTo(-3.7190164854556804, 5);
    expect(() => normalQuantile(1)).toThrow(/0 < p < 1/);
  });

  it('log-gamma matches factorials', () => {
    expect(Math.exp(logGamma(6))).toBeCloseTo(120, 8);
    expect(logGamma(101)).toBeCloseTo(363.73937555556347, 8);
  });

  it('two-proportion z-test (pooled), sign says which is higher', () => {
    const a = twoProportionZ(352, 400, 376, 400);
    expect(a.z).toBeCloseTo(2.964997266644402, 6);
    expect(a.pValue).toBeCloseTo(0.003026856189129397, 6);
    const b = twoProportionZ(90, 100, 85, 100);
    expect(b.z).toBeCloseTo(-1.0690449676496985, 6);
    expect(b.pValue).toBeCloseTo(0.2850494074026124, 6);
    expect(twoProportionZ(10, 10, 20, 20)).toEqual({ z: 0, pValue: 1 });
    expect(() => twoProportionZ(3, 2, 1, 1)).toThrow(/0 <= k <= n/);
  });

  it("Fisher's exact test, two-sided", () => {
    expect(fisherExact(8, 10, 1, 6)).toBeCloseTo(0.034965034965034975, 9);
    expect(fisherExact(352, 400, 376, 400)).toBeCloseTo(0.004217001338654621, 9);
    expect(fisherExact(3, 10, 9, 10)).toBeCloseTo(0.019766611097880443, 9);
    expect(fisherExact(5, 10, 5, 10)).toBeCloseTo(1, 9);
  });

  it('Wilson interval', () => {
    const [lo, hi] = wilsonInterval(45, 50)!;
    expect(lo).toBeCloseTo(0.7863976856252035, 6);
    expect(hi).toBeCloseTo(0.9565242350681096, 6);
    expect(wilsonInterval(0, 0)).toBeNull();
  });

  it('sample size per arm to detect an effect', () => {
    expect(requiredPerArm(0.9, 0.03)).toBe(1356);
    expect(requiredPerArm(0.5, 0.1)).toBe(388);
    expect(requiredPerArm(0.88, 0.02)).toBe(3841);
    // no room above 99.5 %: the same difference below it
    expect(requiredPerArm(0.995, 0.02)).toBe(requiredPerArm(0.975, 0.02));
  });
});
