import { describe, expect, it } from 'vitest';
import { fuse, knnDistribution, tuneFusion } from './knn.js';

describe('kNN evidence', () => {
  it('is a similarity-weighted vote (softmax of s/τ) over the neighbours', () => {
    const p = knnDistribution([{ label: 0, score: 0.9 }, { label: 1, score: 0.8 }, { label: 0, score: 0.7 }], 3, 0.1);
    const w = [1, Math.exp(-1), Math.exp(-2)];
    const z = w[0] + w[1] + w[2];
    expect(p[0]).toBeCloseTo((w[0] + w[2]) / z, 12);
    expect(p[1]).toBeCloseTo(w[1] / z, 12);
    expect(p[2]).toBe(0);
    expect(Array.from(knnDistribution([], 2, 0.1))).toEqual([0, 0]);
  });

  it('fuses as (1 − α)·p_lr + α·p_knn', () => {
    const out = new Float64Array(2);
    fuse([0.8, 0.2], [0, 1], 0.25, out);
    expect(out[0]).toBeCloseTo(0.6, 12);
    expect(out[1]).toBeCloseTo(0.4, 12);
  });

  it('tunes α to 0 when the neighbours mislead and above 0 when they know better', () => {
    const probs = Float32Array.from([0.6, 0.4, 0.6, 0.4, 0.6, 0.4]);
    const y = [1, 1, 1];
    const right = y.map(() => [{ label: 1, score: 0.9 }]);
    const wrong = y.map(() => [{ label: 0, score: 0.9 }]);
    expect(tuneFusion(probs, 2, right, y, 1).alpha).toBeGreaterThan(0);
    const yRight = [0, 0, 0];
    expect(tuneFusion(probs, 2, wrong.map(() => [{ label: 1, score: 0.9 }]), yRight, 1).alpha).toBe(0);
  });
});
