import { describe, expect, it } from 'vitest';
import { centroidDistance, fitCentroids } from './centroids.js';

const unit = (...xs: number[]) => {
  const n = Math.hypot(...xs);
  return Float32Array.from(xs, (x) => x / n);
};

describe('fitCentroids', () => {
  const vs = [unit(1, 0, 0), unit(1, 1, 0), unit(1, 0, 1), unit(0, 0, 1), unit(0, 1, 0)];
  const labels = [0, 0, 0, 1, 2];
  const { centroids, reference } = fitCentroids(vs, labels, 4);

  it('averages each class and normalises the rows', () => {
    const mean = [1 + Math.SQRT1_2 * 2, Math.SQRT1_2, Math.SQRT1_2].map((x) => x / 3);
    const want = unit(...mean);
    expect(Array.from(centroids.rows.subarray(0, 3))).toEqual(Array.from(want).map((x) => expect.closeTo(x, 6)));
    expect(Array.from(centroids.rows.subarray(9, 12))).toEqual([0, 0, 0]);
  });

  it('reference distances are leave-one-out, computed the long way for comparison', () => {
    const cos = (a: Float32Array, b: number[]) => {
      const dot = a.reduce((s, x, i) => s + x * b[i], 0);
      return dot / (Math.hypot(...a) * Math.hypot(...b));
    };
    const looDist = [0, 1, 2].map((i) => {
      const others = [0, 1, 2].filter((j) => j !== i).map((j) => vs[j]);
      const sum = [0, 1, 2].map((d) => others.reduce((s, v) => s + v[d], 0));
      return 1 - cos(vs[i], sum);
    });
    // classes 1 and 2 have one example each: no leave-one-out centroid
    expect(reference.n).toBe(3);
    expect(reference.mean).toBeCloseTo(looDist.reduce((a, b) => a + b) / 3, 6);
    expect(reference.p50).toBeCloseTo([...looDist].sort()[1], 6);
  });

  it('distance of a message to its class centroid', () => {
    expect(centroidDistance(centroids, 1, unit(0, 0, 1))).toBeCloseTo(0, 6);
    expect(centroidDistance(centroids, 1, [0, 0, 5])).toBeCloseTo(0, 6);
    expect(centroidDistance(centroids, 2, unit(0, 0, 1))).toBeCloseTo(1, 6);
    expect(centroidDistance(centroids, 3, unit(0, 0, 1))).toBeUndefined();
    expect(centroidDistance(centroids, 7, unit(0, 0, 1))).toBeUndefined();
    expect(centroidDistance(centroids, 1, [0, 0])).toBeUndefined();
    expect(centroidDistance(centroids, 1, [0, 0, 0])).toBeUndefined();
  });

  it('rejects mismatched inputs', () => {
    expect(() => fitCentroids([unit(1, 0)], [0, 1], 2)).toThrow(/labels/);
    expect(() => fitCentroids([unit(1, 0), unit(1, 0, 0)], [0, 1], 2)).toThrow(/length/);
  });
});
