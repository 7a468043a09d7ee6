import { describe, expect, it, vi } from 'vitest';

// count the full passes over the stored vectors
const passes = vi.hoisted(() => ({ n: 0 }));
vi.mock('../../core/vector/index.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../core/vector/index.js')>();
  return { ...actual, dotRows: (...a: Parameters<typeof actual.dotRows>) => (passes.n++, actual.dotRows(...a)) };
});
const { exactIndex } = await import('./exact.js');

const vectors = (n: number, dim: number, seed: number) => {
  let s = seed;
  const r = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5;
  return Array.from({ length: n }, () => Float32Array.from({ length: dim }, r));
};

describe('exact index: a query searched again', () => {
  const data = vectors(500, 16, 1);
  const labels = Int32Array.from(data, (_, i) => i % 7);

  it('ranks the scores it has instead of scoring every vector again (a widening search), with the same answers', () => {
    const index = exactIndex.create(16);
    index.add(data, labels);
    const fresh = exactIndex.fromBytes(index.toBytes());
    const q = data[3].map((v, i) => v + (i % 2 ? 0.01 : -0.01));
    passes.n = 0;
    const wide = [5, 20, 80, 320].map((k) => index.search(q, k));
    expect(passes.n).toBe(1);
    // the same answers as a fresh index scoring each k anew
    for (const [j, k] of [5, 20, 80, 320].entries()) {
      const other = vectors(1, 16, 100 + j)[0];
      fresh.search(other, 3); // another query in between: scored again
      expect(fresh.search(q, k)).toEqual(wide[j]);
    }
    // an equal query in another array is the same query; a different one is scored
    passes.n = 0;
    index.search(Float32Array.from(q), 10);
    expect(passes.n).toBe(0);
    index.search(data[4], 10);
    expect(passes.n).toBe(1);
  });

  it('scores again after an add (new vectors, and the scratch may have grown)', () => {
    const index = exactIndex.create(16);
    index.add(data.slice(0, 100), labels.slice(0, 100));
    const q = data[150];
    expect(index.search(q, 1)[0].id).not.toBe(150);
    index.add(data.slice(100), labels.slice(100));
    passes.n = 0;
    const r = index.search(q, 1);
    expect(passes.n).toBe(1);
    expect(r[0]).toMatchObject({ id: 150, label: 150 % 7 });
    expect(r[0].score).toBeCloseTo(1, 6);
  });
});
