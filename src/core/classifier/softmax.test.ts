import { describe, expect, it } from 'vitest';
import { logSumExp, softmaxInto } from './softmax.js';

describe('softmax', () => {
  it('is stable for huge and tiny logits', () => {
    const out = new Float64Array(3);
    softmaxInto([1000, 1001, 1002], out);
    expect(out[2]).toBeCloseTo(0.6652409557748219, 12);
    expect(out[0] + out[1] + out[2]).toBeCloseTo(1, 12);
    softmaxInto([-1e4, 0, -1e4], out);
    expect(out[1]).toBe(1);
    expect(Number.isFinite(logSumExp([800, 800]))).toBe(true);
    expect(logSumExp([800, 800])).toBeCloseTo(800 + Math.log(2), 9);
  });

  it('sharpens with low temperature and flattens with high', () => {
    const cold = new Float64Array(2);
    const hot = new Float64Array(2);
    softmaxInto([1, 0], cold, 0.1);
    softmaxInto([1, 0], hot, 10);
    expect(cold[0]).toBeGreaterThan(0.9999);
    expect(hot[0]).toBeCloseTo(1 / (1 + Math.exp(-0.1)), 9);
  });
});
