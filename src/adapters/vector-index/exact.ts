import { dotRows, l2normalize, topK } from '../../core/vector/index.js';
import type { Neighbour, VectorIndex, VectorIndexFactory } from '../../ports/vector-index.js';
import { checkBatch, checkDim, intOption, prepareQuery } from './checks.js';
import { bytesOf, corrupt, pack, readF32, readI32, unpack } from './codec.js';

/*
 * Brute-force cosine search: every vector lives in one contiguous row-major Float32Array, so a
 * query is one tight dot-product pass plus a bounded heap. Exact, dependency-free, and fast
 * enough for the tens of thousands of examples an intent set has.
 *
 * Bytes (see codec.ts): magic "IOVX", version 1, fields [dim, n], body = n×dim f32 | n i32 labels.
 */

const KIND = 'exact';
const MAGIC = 'IOVX';
const VERSION = 1;

class ExactIndex implements VectorIndex {
  readonly kind = KIND;
  private scores: Float64Array; // scratch for one query's scores, reused
  /**
   * The unit query whose scores `scores` holds, until the next search of another query or an add:
   * a search that widens (the same query again with a larger k, as training's searchKept does)
   * then ranks those scores again instead of computing them again.
   */
  private scored: Float32Array | undefined;

  constructor(
    readonly dim: number,
    private data: Float32Array, // capacity × dim; rows [0, n) are in use
    private labels: Int32Array, // capacity
    private n = 0,
  ) {
    this.scores = new Float64Array(labels.length);
  }

  get size(): number {
    return this.n;
  }

  add(vectors: readonly Float32Array[], labels: ArrayLike<number>): void {
    checkBatch(KIND, this.dim, vectors, labels);
    this.scored = undefined;
    this.reserve(this.n + vectors.length);
    const dim = this.dim;
    for (let i = 0; i < vectors.length; i++, this.n++) {
      const at = this.n * dim;
      this.data.set(vectors[i], at);
      l2normalize(this.data.subarray(at, at + dim));
      this.labels[this.n] = labels[i];
    }
  }

  search(query: Float32Array, k: number): Neighbour[] {
    const p = prepareQuery(KIND, this.dim, this.n, query, k);
    if (p.k === 0) return [];
    const scores = this.scores.subarray(0, this.n);
    if (!this.scored || !sameValues(this.scored, p.q)) {
      this.scored = undefined;
      dotRows(this.data, this.n, p.q, scores);
      this.scored = p.q;
    }
    return topK(scores, p.k).map(({ index, score }) => ({ id: index, label: this.labels[index], score }));
  }

  toBytes(): Uint8Array {
    const n = this.n;
    return pack(MAGIC, VERSION, [this.dim, n], [
      bytesOf(this.data.subarray(0, n * this.dim)),
      bytesOf(this.labels.subarray(0, n)),
    ]);
  }

  /** Grows storage geometrically so repeated small adds stay amortised O(1) per row. */
  private reserve(needed: number): void {
    const cap = this.labels.length;
    if (needed <= cap) return;
    const next = Math.max(needed, cap * 2, 16);
    const data = new Float32Array(next * this.dim);
    data.set(this.data.subarray(0, this.n * this.dim));
    const labels = new Int32Array(next);
    labels.set(this.labels.subarray(0, this.n));
    this.data = data;
    this.labels = labels;
    this.scores = new Float64Array(next);
  }
}

/** The same values, bit for bit (0 and -0 told apart: they can give scores of different signs). */
function sameValues(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] || (a[i] === 0 && 1 / a[i] !== 1 / b[i])) return false;
  return true;
}

/**
 * Options: `capacity` (initial rows to reserve, default 0; storage grows as needed).
 *
 * @example
 * const index = exactIndex.create(384);
 * index.add([vec], [labelId]);
 * index.search(vec, 10); // [{ id: 0, label: labelId, score: 1 }]
 */
export const exactIndex: VectorIndexFactory = Object.freeze({
  description: 'exact brute-force cosine search in pure TypeScript (best below ~20k items)',

  create(dim: number, options: Record<string, unknown> = {}): VectorIndex {
    checkDim(KIND, dim);
    const capacity = intOption(KIND, options, 'capacity', 0, 0);
    return new ExactIndex(dim, new Float32Array(capacity * dim), new Int32Array(capacity));
  },

  fromBytes(bytes: Uint8Array): VectorIndex {
    const { fields, body } = unpack(bytes, KIND, MAGIC, VERSION, 2);
    const [dim, n] = fields;
    if (dim < 1) throw corrupt(KIND, `dim ${dim} in header`);
    const expected = n * dim * 4 + n * 4;
    if (body.byteLength !== expected) {
      throw corrupt(KIND, `body has ${body.byteLength} bytes, header (dim ${dim}, n ${n}) needs ${expected}`);
    }
    return new ExactIndex(dim, readF32(body, 0, n * dim), readI32(body, n * dim * 4, n), n);
  },
});
