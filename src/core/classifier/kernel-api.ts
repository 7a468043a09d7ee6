/**
 * The classifier's inner loops over a flat arena of 4-byte cells, with W stored row-major and
 * each row padded to `kp` (a multiple of 4) floats. Two implementations with bit-identical results:
 * WebAssembly SIMD (f32x4, specialised and unrolled for `kp`) and a plain-JS reference, whose
 * `Math.fround` after every operation reproduces the f32 arithmetic exactly. Offsets and lengths
 * are in cells (elements), not bytes.
 */
export interface Kernels {
  readonly kind: 'wasm-simd' | 'js';
  readonly arena: Arena;
  /** out[0..kp) = bias[0..kp) + Σ_p vals[p] · W[rows[p]] (out may equal bias). */
  logits(rows: number, vals: number, n: number, W: number, bias: number, out: number): void;
  /** G[rows[p]] += vals[p] · z for p < n. */
  axpy(rows: number, vals: number, n: number, G: number, z: number): void;
  /** One Adam step on the listed rows (G is consumed and zeroed); the scalars are rounded to f32. */
  adam(rows: number, n: number, W: number, G: number, M: number, V: number, p: AdamScalars): void;
}

export interface AdamScalars {
  readonly lr: number;
  readonly l2: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
}

/** Fixed-size memory carved by a bump allocator; zero-initialised; every block 16-byte aligned. */
export class Arena {
  readonly f32: Float32Array;
  readonly i32: Int32Array;
  private top = 0;

  constructor(
    readonly buffer: ArrayBuffer,
    readonly memory?: WebAssembly.Memory,
  ) {
    this.f32 = new Float32Array(buffer);
    this.i32 = new Int32Array(buffer);
  }

  /** Cells left. */
  get free(): number {
    return this.f32.length - this.top;
  }

  alloc(cells: number): number {
    const at = this.top;
    const size = Math.ceil(cells / 4) * 4;
    if (size > this.free) throw new RangeError(`arena full: ${cells} cells requested, ${this.free} free`);
    this.top += size;
    return at;
  }
}
