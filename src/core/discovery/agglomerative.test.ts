import { describe, expect, it } from 'vitest';
import { IntentOpsError } from '../errors.js';
import { averageLinkage, clusterVectors, cosineDistances, cutAt } from './agglomerative.js';

const v = (...xs: number[]) => Float32Array.from(xs);
/** A unit vector at `deg` degrees in the plane. */
const angle = (deg: number) => v(Math.cos((deg * Math.PI) / 180), Math.sin((deg * Math.PI) / 180));

describe('cosineDistances', () => {
  it('is 1 − cos in condensed order, scale-free, and 1 against a zero vector', () => {
    const d = cosineDistances([v(1, 0), v(0, 3), v(-2, 0), v(0, 0)]);
    // pairs (0,1) (0,2) (0,3) (1,2) (1,3) (2,3)
    expect([...d]).toEqual([1, 2, 1, 1, 1, 1]);
  });
});

describe('averageLinkage', () => {
  it('matches a hand-computed UPGMA dendrogram', () => {
    // points on a line, distances |x−y| entered directly: 0, 1, 4, 10
    const xs = [0, 1, 4, 10];
    const d = new Float64Array(6);
    let k = 0;
    for (let i = 0; i < 4; i++) for (let j = i + 1; j < 4; j++) d[k++] = Math.abs(xs[i] - xs[j]);
    const merges = averageLinkage(4, d);
    // {0,1} at 1; {0,1}+{4}: (4+3)/2 = 3.5; +{10}: (10+9+6)/3 = 25/3
    expect(merges.map((m) => [m.a, m.b, m.distance, m.size])).toEqual([
      [0, 1, 1, 2],
      [2, 4, 3.5, 3],
      [3, 5, 25 / 3, 4],
    ]);
    expect([...cutAt(4, merges, 3.5)]).toEqual([0, 0, 0, 3]);
    expect([...cutAt(4, merges, 3.49)]).toEqual([0, 0, 2, 3]);
    expect([...cutAt(4, merges, 0)]).toEqual([0, 1, 2, 3]);
  });

  it('gives the same merges whatever the ties (lower index first)', () => {
    const a = averageLinkage(4, new Float64Array(6).fill(0.5));
    const b = averageLinkage(4, new Float64Array(6).fill(0.5));
    expect(a).toEqual(b);
    expect(a[0]).toMatchObject({ a: 0, b: 1, distance: 0.5 });
  });
});

describe('clusterVectors', () => {
  const two = [angle(0), angle(90), angle(10), angle(100), angle(5), angle(95), angle(200)];

  it('finds the groups above the similarity threshold, largest first', () => {
    expect(clusterVectors(two, { minSimilarity: 0.9 })).toEqual([
      [0, 2, 4],
      [1, 3, 5],
    ]);
    // at cos 200° vs the others < 0: never joined above 0; everything joins at −1
    expect(clusterVectors(two, { minSimilarity: -1 })).toEqual([[0, 1, 2, 3, 4, 5, 6]]);
  });

  it('uses the average, not the closest pair: a chain of near neighbours is not one cluster', () => {
    // 0°, 25°, 65°, 90°: each next one at cos ≥ cos 40° = 0.77, which single linkage would chain
    // into one cluster at 0.7; but {0°, 25°} and 65° are at (cos 65° + cos 40°) / 2 = 0.59 on average
    const chain = [angle(0), angle(25), angle(65), angle(90)];
    expect(clusterVectors(chain, { minSimilarity: 0.7 })).toEqual([
      [0, 1],
      [2, 3],
    ]);
  });

  it('drops clusters under the minimum size', () => {
    expect(clusterVectors(two, { minSimilarity: 0.9, minSize: 4 })).toEqual([]);
    expect(clusterVectors(two, { minSimilarity: 0.9, minSize: 1 })).toEqual([[0, 2, 4], [1, 3, 5], [6]]);
  });

  it('is deterministic and independent of scale', () => {
    const scaled = two.map((x, i) => x.map((y) => y * (i + 1)));
    expect(clusterVectors(scaled, { minSimilarity: 0.9 })).toEqual(clusterVectors(two, { minSimilarity: 0.9 }));
    const random = Array.from({ length: 200 }, (_, i) => v(Math.sin(i * 12.9898) * 43758.5453 % 1, Math.sin(i * 78.233) * 12345.678 % 1, Math.cos(i * 3.7)));
    expect(clusterVectors(random, { minSimilarity: 0.7 })).toEqual(clusterVectors(random, { minSimilarity: 0.7 }));
  });

  it('handles no and one point', () => {
    expect(clusterVectors([], { minSimilarity: 0.5 })).toEqual([]);
    expect(clusterVectors([v(1, 0)], { minSimilarity: 0.5, minSize: 1 })).toEqual([[0]]);
  });

  it('refuses more points than the bound, and bad options', () => {
    const many = Array.from({ length: 11 }, () => v(1, 0));
    const e = (() => {
      try {
        clusterVectors(many, { minSimilarity: 0.5, maxItems: 10 });
      } catch (x) {
        return x;
      }
    })();
    expect(e).toBeInstanceOf(IntentOpsError);
    expect((e as IntentOpsError).message).toMatch(/11 items are more than the 10/);
    expect(() => clusterVectors(many, { minSimilarity: 1.5 })).toThrow(/similarity/);
    expect(() => clusterVectors(many, { minSimilarity: 0.5, minSize: 0 })).toThrow(/size/);
  });

  it('clusters 2,000 points of 64 dimensions in reasonable time (O(n²))', () => {
    const pts = Array.from({ length: 2000 }, (_, i) => Float32Array.from({ length: 64 }, (_, j) => Math.sin((i % 40) * 7.1 + j) + 0.3 * Math.sin(i * 1.3 + j * 0.7)));
    const t0 = performance.now();
    const groups = clusterVectors(pts, { minSimilarity: 0.8, minSize: 3 });
    expect(performance.now() - t0).toBeLessThan(20_000);
    expect(groups.length).toBeGreaterThan(0);
  });
});
