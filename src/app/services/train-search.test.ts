import { describe, expect, it } from 'vitest';
import type { Neighbour } from '../../ports/vector-index.js';
import { searchKept } from './train.js';

/** An exact index over 1-D "vectors": the score of item i for query q is −|q − x_i|, counting the searches and their depth. */
function lineIndex(xs: number[], labels: number[]) {
  const depths: number[] = [];
  return {
    depths,
    size: xs.length,
    search(q: Float32Array, k: number): Neighbour[] {
      depths.push(k);
      return xs
        .map((x, id) => ({ id, label: labels[id], score: -Math.abs(q[0] - x) }))
        .sort((a, b) => b.score - a.score)
        .slice(0, k);
    },
  };
}

describe('searchKept', () => {
  it('searches wider until it finds admitted items (at least `enough`), nearest first', () => {
    // 300 items of label 1 around 0, then 5 of label 2 further out: a message of the left-out
    // label 1 has only its own label among its 50 nearest
    const xs = [...Array.from({ length: 300 }, (_, i) => i / 1000), ...[1, 2, 3, 4, 5]];
    const labels = [...new Array(300).fill(1), ...new Array(5).fill(2)];
    const index = lineIndex(xs, labels);
    const found = searchKept(index, Float32Array.of(0), 3, (nb) => nb.label !== 1, 3);
    expect(found.map((f) => f.id)).toEqual([300, 301, 302]);
    expect(index.depths.length).toBeGreaterThan(1);
    expect(index.depths[0]).toBe(29);
    // by default one admitted item is enough: no deeper search once the first is found
    const fx = [...xs.slice(0, 25), 1, 2, ...Array.from({ length: 10 }, (_, i) => 3 + i), 20];
    const fl = [...labels.slice(0, 25), 2, 2, ...new Array(10).fill(1), 2];
    const few = lineIndex(fx, fl);
    expect(searchKept(few, Float32Array.of(0), 3, (nb) => nb.label !== 1).map((f) => f.id)).toEqual([25, 26]);
    expect(few.depths).toEqual([29]);
  });

  it('starts at the given depth', () => {
    const xs = [...Array.from({ length: 300 }, (_, i) => i / 1000), 1];
    const index = lineIndex(xs, [...new Array(300).fill(1), 2]);
    expect(searchKept(index, Float32Array.of(0), 1, (nb) => nb.label === 2, 1, 35).map((f) => f.id)).toEqual([300]);
    expect(index.depths).toEqual([35, 140, 301]);
  });

  it('returns what there is when the whole index holds fewer admitted items, and stops there', () => {
    const index = lineIndex([0, 0.1, 0.2, 5], [1, 1, 1, 2]);
    expect(searchKept(index, Float32Array.of(0), 10, (nb) => nb.label === 2).map((f) => f.id)).toEqual([3]);
    expect(searchKept(index, Float32Array.of(0), 10, () => false)).toEqual([]);
    expect(index.depths.every((k) => k <= 4)).toBe(true);
  });
});
