import { describe, expect, it } from 'vitest';
import { topK } from './top-k.js';

const f32 = (xs: number[]) => new Float32Array(xs);

describe('topK', () => {
  it('returns the k highest scores sorted descending', () => {
    const r = topK(f32([0.1, 0.9, 0.5, -0.3, 0.7]), 3);
    expect(r.map((x) => x.index)).toEqual([1, 4, 2]);
    expect(r[0].score).toBeCloseTo(0.9, 6);
  });
  it('returns every entry, sorted, when k > n', () => {
    expect(topK(f32([0.2, 0.8]), 10).map((x) => x.index)).toEqual([1, 0]);
  });
  it('returns [] for k <= 0 or empty input', () => {
    expect(topK(f32([1, 2]), 0)).toEqual([]);
    expect(topK(f32([1, 2]), -3)).toEqual([]);
    expect(topK(f32([]), 5)).toEqual([]);
  });
  it('breaks ties by lower index, whatever the input order', () => {
    expect(topK(f32([0.5, 0.5, 0.5, 0.5]), 2).map((x) => x.index)).toEqual([0, 1]);
    expect(topK(f32([0.1, 0.5, 0.9, 0.5, 0.5]), 3).map((x) => x.index)).toEqual([2, 1, 3]);
    expect(topK(f32([0, 0, 0]), 3).map((x) => x.index)).toEqual([0, 1, 2]);
  });
  it('ranks NaN as -Infinity and reports it unchanged', () => {
    const r = topK([NaN, -Infinity, 0.1, NaN, -5], 4);
    expect(r.map((x) => x.index)).toEqual([2, 4, 0, 1]);
    expect(Number.isNaN(r[2].score)).toBe(true);
  });
  it('agrees with a full sort on random data', () => {
    let s = 7;
    const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
    const scores = Array.from({ length: 2000 }, () => Math.round(rnd() * 50) / 50); // many ties
    const expected = scores
      .map((score, index) => ({ index, score }))
      .sort((a, b) => b.score - a.score || a.index - b.index)
      .slice(0, 37);
    expect(topK(scores, 37)).toEqual(expected);
  });
});
