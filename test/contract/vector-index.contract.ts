import { describe, expect, it } from 'vitest';
import { IntentOpsError, type ErrorCode } from '../../src/core/errors.js';
import { dot, l2normalize, topK } from '../../src/core/vector/index.js';
import type { Neighbour, VectorIndex, VectorIndexFactory } from '../../src/ports/vector-index.js';
import { mulberry32 } from '../../src/core/dataset/prng.js';

/**
 * The behaviour every VectorIndex adapter must share (cf. hono's router common.case.test.ts).
 * Ground truth for recall is a brute-force pass over core/vector, not another adapter.
 */
export interface VectorIndexContractOptions {
  /** Minimum mean top-10 recall against brute force on 5,000 random 64-d vectors (1 for exact). */
  readonly recallAt10Min: number;
}

export { mulberry32 };

/** `n` random unit vectors, isotropic (Gaussian via Box-Muller, then normalised). */
export function randomUnitVectors(n: number, dim: number, seed: number): Float32Array[] {
  const rnd = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  return Array.from({ length: n }, () => l2normalize(Float32Array.from({ length: dim }, gauss)));
}

function errorCode(fn: () => unknown): ErrorCode | 'no error' | 'not an IntentOpsError' {
  try {
    fn();
  } catch (e) {
    return e instanceof IntentOpsError ? e.code : 'not an IntentOpsError';
  }
  return 'no error';
}

const ids = (r: Neighbour[]) => r.map((x) => x.id);

function expectSortedDesc(r: Neighbour[]): void {
  for (let i = 1; i < r.length; i++) expect(r[i - 1].score).toBeGreaterThanOrEqual(r[i].score);
}

export function runVectorIndexContract(name: string, factory: VectorIndexFactory, opts: VectorIndexContractOptions): void {
  describe(`VectorIndex contract: ${name}`, () => {
    const DIM = 16;
    const vecs = randomUnitVectors(200, DIM, 1);
    const labelOf = (i: number) => (i % 7) * 3 - 5; // negative and repeated labels on purpose
    const build = (n = vecs.length): VectorIndex => {
      const index = factory.create(DIM);
      index.add(vecs.slice(0, n), Array.from({ length: n }, (_, i) => labelOf(i)));
      return index;
    };

    it('has a description and reports kind, dim and size', () => {
      expect(factory.description.length).toBeGreaterThan(0);
      const index = factory.create(DIM);
      expect(typeof index.kind).toBe('string');
      expect(index.dim).toBe(DIM);
      expect(index.size).toBe(0);
      index.add(vecs.slice(0, 3), [1, 2, 3]);
      expect(index.size).toBe(3);
    });

    it('returns [] when searching an empty index', () => {
      expect(factory.create(DIM).search(vecs[0], 10)).toEqual([]);
    });

    it('returns [] for k = 0 and rejects a negative or fractional k', () => {
      const index = build(10);
      expect(index.search(vecs[0], 0)).toEqual([]);
      expect(errorCode(() => index.search(vecs[0], -1))).toBe('invalid_input');
      expect(errorCode(() => index.search(vecs[0], 2.5))).toBe('invalid_input');
    });

    it('returns every item when k is larger than the size', () => {
      const r = build(5).search(vecs[0], 50);
      expect(ids(r).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4]);
      expectSortedDesc(r);
    });

    it('finds each stored vector as its own top-1 with score ≈ 1 and the right label', () => {
      const index = build();
      for (let i = 0; i < vecs.length; i += 13) {
        const [top] = index.search(vecs[i], 5);
        expect(top.id).toBe(i);
        expect(top.label).toBe(labelOf(i));
        expect(top.score).toBeCloseTo(1, 5);
      }
    });

    it('returns the stored label and the cosine score for every neighbour, sorted by score', () => {
      const index = build();
      const q = randomUnitVectors(1, DIM, 99)[0];
      const r = index.search(q, 20);
      expect(r).toHaveLength(20);
      expectSortedDesc(r);
      for (const nb of r) {
        expect(nb.label).toBe(labelOf(nb.id));
        expect(nb.score).toBeCloseTo(dot(q, vecs[nb.id]), 5);
      }
    });

    it('keeps ids as insertion positions across several add calls', () => {
      const index = factory.create(DIM);
      index.add(vecs.slice(0, 50), Array.from({ length: 50 }, (_, i) => labelOf(i)));
      index.add([], []);
      index.add(vecs.slice(50, 120), Array.from({ length: 70 }, (_, i) => labelOf(50 + i)));
      expect(index.size).toBe(120);
      expect(index.search(vecs[77], 1)[0]).toMatchObject({ id: 77, label: labelOf(77) });
    });

    it('scores by cosine even when inputs are not unit length', () => {
      const index = factory.create(DIM);
      index.add([vecs[0].map((x) => x * 5), vecs[1].map((x) => x * 0.01)], [0, 1]);
      const r = index.search(vecs[1].map((x) => x * 3), 2);
      expect(r[0].id).toBe(1);
      expect(r[0].score).toBeCloseTo(1, 5);
    });

    it('scores a zero query as 0 against everything', () => {
      const r = build(10).search(new Float32Array(DIM), 3);
      expect(r).toHaveLength(3);
      for (const nb of r) expect(nb.score).toBeCloseTo(0, 6);
    });

    it('rejects a dimension mismatch on add and on search with invalid_input', () => {
      const index = build(10);
      expect(errorCode(() => index.add([new Float32Array(DIM + 1)], [0]))).toBe('invalid_input');
      expect(errorCode(() => index.search(new Float32Array(DIM - 1), 3))).toBe('invalid_input');
      expect(index.size).toBe(10);
    });

    it('rejects a bad batch as a whole: label count, non-finite values, non-integer labels', () => {
      const index = build(10);
      const good = vecs.slice(10, 12);
      expect(errorCode(() => index.add(good, [1]))).toBe('invalid_input');
      expect(errorCode(() => index.add([good[0], Float32Array.from(good[1]).fill(NaN, 3, 4)], [1, 2]))).toBe('invalid_input');
      expect(errorCode(() => index.add(good, [1, 2.5]))).toBe('invalid_input');
      expect(index.size).toBe(10);
      expect(errorCode(() => factory.create(0))).toBe('invalid_input');
    });

    it('round-trips through toBytes/fromBytes with identical results, and keeps growing after', () => {
      const index = build();
      const restored = factory.fromBytes(index.toBytes());
      expect([restored.kind, restored.dim, restored.size]).toEqual([index.kind, index.dim, index.size]);
      for (const q of randomUnitVectors(20, DIM, 7)) expect(restored.search(q, 10)).toEqual(index.search(q, 10));
      const empty = factory.fromBytes(factory.create(DIM).toBytes());
      expect([empty.size, empty.search(vecs[0], 3)]).toEqual([0, []]);
      const extra = randomUnitVectors(3, DIM, 8);
      restored.add(extra, [40, 41, 42]);
      expect(restored.size).toBe(vecs.length + 3);
      expect(restored.search(extra[2], 1)[0]).toMatchObject({ id: vecs.length + 2, label: 42 });
    });

    it('accepts bytes at an unaligned offset inside a larger buffer', () => {
      const bytes = build(20).toBytes();
      const host = new Uint8Array(bytes.length + 3);
      host.set(bytes, 3);
      expect(factory.fromBytes(host.subarray(3)).search(vecs[4], 1)[0].id).toBe(4);
    });

    it('rejects corrupt bytes with code corrupt', () => {
      const bytes = build(50).toBytes();
      const flipped = Uint8Array.from(bytes);
      flipped[Math.floor(bytes.length / 2)] ^= 0x40;
      const badMagic = Uint8Array.from(bytes);
      badMagic[0] = 0;
      const longer = new Uint8Array(bytes.length + 4);
      longer.set(bytes);
      for (const b of [new Uint8Array(0), bytes.subarray(0, 10), bytes.subarray(0, bytes.length - 1), flipped, badMagic, longer]) {
        expect(errorCode(() => factory.fromBytes(b))).toBe('corrupt');
      }
    });

    it('builds deterministically: same data, same results', () => {
      const data = randomUnitVectors(1500, DIM, 3);
      const a = factory.create(DIM);
      const b = factory.create(DIM);
      a.add(data, data.map((_, i) => i));
      b.add(data, data.map((_, i) => i));
      for (const q of randomUnitVectors(10, DIM, 4)) expect(a.search(q, 10)).toEqual(b.search(q, 10));
    });

    it(`reaches top-10 recall >= ${opts.recallAt10Min} on 5,000 random 64-d vectors`, () => {
      const dim = 64;
      const data = randomUnitVectors(5000, dim, 42);
      const index = factory.create(dim);
      for (let i = 0; i < data.length; i += 1000) {
        index.add(data.slice(i, i + 1000), Array.from({ length: 1000 }, (_, j) => (i + j) % 10));
      }
      const queries = randomUnitVectors(200, dim, 43);
      let hits = 0;
      for (const q of queries) {
        const truth = new Set(topK(data.map((v) => dot(q, v)), 10).map((x) => x.index));
        for (const nb of index.search(q, 10)) if (truth.has(nb.id)) hits++;
      }
      const recall = hits / (queries.length * 10);
      expect(recall).toBeGreaterThanOrEqual(opts.recallAt10Min);
    });
  });
}
