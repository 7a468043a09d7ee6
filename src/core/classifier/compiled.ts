import type { SparseVector } from '../types.js';
import { cellsFor, createKernels, padClasses, type Kernels } from './kernels.js';
import type { LinearModel } from './linear-model.js';

/** A weight matrix as compact rows: see CompiledLinear.fromRows. */
export interface CompactRows {
  readonly dim: number;
  readonly classes: number;
  readonly rowOf: Int32Array;
  readonly rows: Float32Array;
  readonly stride: number;
  readonly bias: Float32Array;
}

/** Rows per kernel call; longer inputs are scored in chunks (the sum is the same). */
const CHUNK = 1024;

/**
 * A linear model laid out for fast scoring: only the rows of W that are not all zero (hashed
 * slots that never occurred in training keep zero rows: typically 85–90 % of them), each padded
 * to a multiple of 4 classes, in the arena of the SIMD kernels (kernels.ts). That is ~8× less
 * memory than W for the default hashed embedder, so the rows a message touches are mostly cache
 * hits, and each row costs a few f32x4 multiply-adds.
 *
 * Logits are summed in f32 in feature order (the JS `logitsSparse` sums in f64): they agree to
 * ~1e-6 relative.
 *
 * @example
 *   const c = CompiledLinear.of(model);          // cached per model object
 *   const z = new Float64Array(model.classes);
 *   c.logits(embedding.sparse, z);
 */
export class CompiledLinear {
  private static readonly cache = new WeakMap<LinearModel, CompiledLinear>();

  readonly classes: number;
  /** Compact row of each feature, or -1 when its weights are all zero. */
  private readonly rowOf: Int32Array;
  private readonly k: Kernels;
  private readonly W: number;
  private readonly bias: number;
  private readonly out: number;
  private readonly rows: number;
  private readonly vals: number;

  /**
   * The compiled form of `m`, built on first use and cached for the life of the model object:
   * a model's weights must not change once it has been scored through here.
   */
  static of(m: LinearModel): CompiledLinear {
    let c = CompiledLinear.cache.get(m);
    if (!c) {
      c = new CompiledLinear(m);
      CompiledLinear.cache.set(m, c);
    }
    return c;
  }

  /**
   * The compiled form of the weight matrix that compact rows expand to (fitAdam's layout: `rowOf[f]`
   * the row of feature f in `rows`, or -1 for an all-zero one; rows `stride` apart, the first
   * `classes` values of each its weights), without building that dim × classes matrix: the same
   * object, giving the same logits, as `new CompiledLinear(expanded)`.
   */
  static fromRows(m: CompactRows, prefer: 'auto' | 'js' = 'auto'): CompiledLinear {
    return new CompiledLinear(m, prefer);
  }

  constructor(m: LinearModel | CompactRows, prefer: 'auto' | 'js' = 'auto') {
    const K = m.classes;
    const kp = padClasses(K);
    const rowOf = new Int32Array(m.dim).fill(-1);
    // where feature f's weights are (in m.weights or in compact rows), for those that are not all zero
    const at = new Int32Array(m.dim);
    const compact = 'weights' in m ? undefined : m;
    const W = compact ? compact.rows : (m as LinearModel).weights;
    let used = 0;
    for (let f = 0; f < m.dim; f++) {
      let base = f * K;
      if (compact) {
        const r = compact.rowOf[f];
        if (r < 0) continue;
        base = r * compact.stride;
      }
      for (let k = 0; k < K; k++) {
        if (W[base + k] !== 0) {
          rowOf[f] = used++;
          at[f] = base;
          break;
        }
      }
    }
    this.classes = K;
    this.rowOf = rowOf;
    this.k = createKernels(kp, cellsFor(used * kp, kp, kp, CHUNK, CHUNK), prefer);
    const a = this.k.arena;
    this.W = a.alloc(used * kp);
    this.bias = a.alloc(kp);
    this.out = a.alloc(kp);
    this.rows = a.alloc(CHUNK);
    this.vals = a.alloc(CHUNK);
    for (let f = 0; f < m.dim; f++) {
      const r = rowOf[f];
      if (r >= 0) a.f32.set(W.subarray(at[f], at[f] + K), this.W + r * kp);
    }
    a.f32.set(m.bias, this.bias);
  }

  /** Which implementation scores: 'wasm-simd', or the 'js' reference where WebAssembly SIMD is missing. */
  get kind(): Kernels['kind'] {
    return this.k.kind;
  }

  /** Logits of a sparse vector (or of a dense one: index = position) into `out[0..classes)`. */
  logits(v: SparseVector | Float32Array, out: Float32Array | Float64Array): void {
    if (v instanceof Float32Array) this.logitsDense(v, out);
    else this.logitsSparse(v.indices, v.values, out, 0, v.indices.length);
  }

  /** Logits of entries [from, to) of parallel index / value arrays (one row of a CSR matrix). */
  logitsSparse(indices: ArrayLike<number>, values: ArrayLike<number>, out: Float32Array | Float64Array, from: number, to: number): void {
    const I = this.k.arena.i32;
    const F = this.k.arena.f32;
    const rowOf = this.rowOf;
    const dim = rowOf.length;
    let n = 0;
    let bias = this.bias;
    for (let p = from; p < to; p++) {
      const f = indices[p];
      if (!(f >= 0 && f < dim)) continue;
      const r = rowOf[f];
      if (r < 0) continue;
      I[this.rows + n] = r;
      F[this.vals + n] = values[p];
      if (++n === CHUNK) {
        this.k.logits(this.rows, this.vals, n, this.W, bias, this.out);
        bias = this.out;
        n = 0;
      }
    }
    this.finish(n, bias, out);
  }

  private logitsDense(v: Float32Array, out: Float32Array | Float64Array): void {
    const I = this.k.arena.i32;
    const F = this.k.arena.f32;
    const rowOf = this.rowOf;
    const len = Math.min(v.length, rowOf.length);
    let n = 0;
    let bias = this.bias;
    for (let f = 0; f < len; f++) {
      const r = rowOf[f];
      if (r < 0 || v[f] === 0) continue;
      I[this.rows + n] = r;
      F[this.vals + n] = v[f];
      if (++n === CHUNK) {
        this.k.logits(this.rows, this.vals, n, this.W, bias, this.out);
        bias = this.out;
        n = 0;
      }
    }
    this.finish(n, bias, out);
  }

  private finish(n: number, bias: number, out: Float32Array | Float64Array): void {
    this.k.logits(this.rows, this.vals, n, this.W, bias, this.out);
    const F = this.k.arena.f32;
    for (let k = 0; k < this.classes; k++) out[k] = F[this.out + k];
  }
}
