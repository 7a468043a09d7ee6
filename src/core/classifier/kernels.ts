import { Arena, type AdamScalars, type Kernels } from './kernel-api.js';
import { wasmKernels, wasmModule } from './kernels-wasm.js';

export { Arena, type AdamScalars, type Kernels };

const PAGE = 65536;
/** wasm32 addresses are 32-bit: keep a margin below 4 GiB. */
const MAX_WASM_BYTES = 2 ** 32 - 16 * PAGE;

/** Cells to reserve for allocations of these sizes (alignment included). */
export function cellsFor(...sizes: number[]): number {
  return sizes.reduce((s, n) => s + Math.ceil(n / 4) * 4, 0);
}

export const padClasses = (classes: number) => Math.ceil(classes / 4) * 4;

/**
 * Kernels for rows of `kp` floats over a new arena of `cells` cells: WebAssembly SIMD when the
 * runtime supports it (and `prefer` is not 'js'), else the JS reference.
 */
export function createKernels(kp: number, cells: number, prefer: 'auto' | 'js' = 'auto'): Kernels {
  if (kp % 4 !== 0 || kp <= 0) throw new RangeError(`row width ${kp} is not a positive multiple of 4`);
  const bytes = Math.max(PAGE, Math.ceil((cells * 4) / PAGE) * PAGE);
  if (prefer === 'auto' && bytes <= MAX_WASM_BYTES) {
    const module = wasmModule(kp);
    if (module) {
      let memory: WebAssembly.Memory | undefined;
      try {
        memory = new WebAssembly.Memory({ initial: bytes / PAGE });
      } catch {
        memory = undefined; // address space exhausted: fall back to an ordinary buffer
      }
      if (memory) return wasmKernels(kp, new Arena(memory.buffer, memory), module);
    }
  }
  return new JsKernels(kp, new Arena(new ArrayBuffer(cells * 4)));
}

/** The plain-JS reference: `Math.fround` after each operation makes it f32 arithmetic, bit for bit. */
export class JsKernels implements Kernels {
  readonly kind = 'js';
  constructor(
    readonly kp: number,
    readonly arena: Arena,
  ) {}

  logits(rows: number, vals: number, n: number, W: number, bias: number, out: number): void {
    const f = this.arena.f32;
    const I = this.arena.i32;
    const kp = this.kp;
    if (out !== bias) for (let k = 0; k < kp; k++) f[out + k] = f[bias + k];
    for (let p = 0; p < n; p++) {
      const x = f[vals + p];
      const base = W + I[rows + p] * kp;
      for (let k = 0; k < kp; k++) f[out + k] += Math.fround(x * f[base + k]);
    }
  }

  axpy(rows: number, vals: number, n: number, G: number, z: number): void {
    const f = this.arena.f32;
    const I = this.arena.i32;
    const kp = this.kp;
    for (let p = 0; p < n; p++) {
      const x = f[vals + p];
      const base = G + I[rows + p] * kp;
      for (let k = 0; k < kp; k++) f[base + k] += Math.fround(x * f[z + k]);
    }
  }

  adam(rows: number, n: number, W: number, G: number, M: number, V: number, s: AdamScalars): void {
    const f = this.arena.f32;
    const I = this.arena.i32;
    const kp = this.kp;
    const r = Math.fround;
    const lr = r(s.lr);
    const l2 = r(s.l2);
    const b1 = r(s.beta1);
    const c1 = r(1 - s.beta1);
    const b2 = r(s.beta2);
    const c2 = r(1 - s.beta2);
    const eps = r(s.eps);
    for (let t = 0; t < n; t++) {
      const off = I[rows + t] * kp;
      for (let k = 0; k < kp; k++) {
        const w = f[W + off + k];
        const g = r(f[G + off + k] + r(l2 * w));
        f[G + off + k] = 0;
        const m = r(r(b1 * f[M + off + k]) + r(c1 * g));
        const v = r(r(b2 * f[V + off + k]) + r(r(c2 * g) * g));
        f[M + off + k] = m;
        f[V + off + k] = v;
        f[W + off + k] = w - r(r(lr * m) / r(r(Math.sqrt(v)) + eps));
      }
    }
  }
}
