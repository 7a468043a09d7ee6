import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../dataset/prng.js';
import { cellsFor, createKernels, padClasses, type Kernels } from './kernels.js';
import { kernelModuleBytes, wasmModule } from './kernels-wasm.js';
import { emitModule, FunctionBody, I32, Op, sleb, uleb } from './wasm-emit.js';

describe('wasm emitter', () => {
  it('encodes LEB128 as the spec examples do', () => {
    expect(uleb(0)).toEqual([0]);
    expect(uleb(127)).toEqual([0x7f]);
    expect(uleb(128)).toEqual([0x80, 0x01]);
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(sleb(-1)).toEqual([0x7f]);
    expect(sleb(63)).toEqual([0x3f]);
    expect(sleb(64)).toEqual([0xc0, 0x00]);
    expect(sleb(-123456)).toEqual([0xc0, 0xbb, 0x78]);
  });

  it('emits a module that validates and runs', () => {
    // (func $sum (param $a i32) (param $b i32) (result i32) i32.store(0, a + b); i32.load(0))
    const f = new FunctionBody([I32, I32], [I32]);
    f.i32(0).get(0).get(1).op(Op.i32Add).mem(Op.i32Store, 2);
    f.i32(0).mem(Op.i32Load, 2);
    const bytes = emitModule({ sum: f });
    expect(WebAssembly.validate(bytes)).toBe(true);
    const memory = new WebAssembly.Memory({ initial: 1 });
    const x = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports as { sum(a: number, b: number): number };
    expect(x.sum(40, 2)).toBe(42);
    expect(new Int32Array(memory.buffer)[0]).toBe(42);
  });

  it('emits the same kernel bytes every time (the module is a pure function of the row width)', () => {
    expect(Buffer.from(kernelModuleBytes(80)).equals(Buffer.from(kernelModuleBytes(80)))).toBe(true);
    expect(WebAssembly.validate(kernelModuleBytes(4))).toBe(true);
    expect(WebAssembly.validate(kernelModuleBytes(200))).toBe(true);
  });
});

const simd = wasmModule(8) !== null;
const ADAM = { lr: 0.013, l2: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

/** The same random problem laid out in a fresh arena of the chosen kernels. */
function setup(kind: 'auto' | 'js', classes: number, dim: number, n: number, seed: number) {
  const kp = padClasses(classes);
  const k = createKernels(kp, cellsFor(dim * kp, dim * kp, dim * kp, dim * kp, kp, kp, n, n, n), kind);
  const a = k.arena;
  const s = {
    k,
    W: a.alloc(dim * kp),
    G: a.alloc(dim * kp),
    M: a.alloc(dim * kp),
    V: a.alloc(dim * kp),
    B: a.alloc(kp),
    Z: a.alloc(kp),
    R: a.alloc(n),
    X: a.alloc(n),
    T: a.alloc(n),
    kp,
  };
  const rnd = mulberry32(seed);
  for (let f = 0; f < dim; f++) for (let c = 0; c < classes; c++) a.f32[s.W + f * kp + c] = (rnd() - 0.5) * 4;
  for (let c = 0; c < classes; c++) a.f32[s.B + c] = rnd() - 0.5;
  for (let p = 0; p < n; p++) {
    a.i32[s.R + p] = Math.floor(rnd() * dim);
    a.f32[s.X + p] = rnd() * 2 - 1;
  }
  // distinct rows for the Adam step
  const rows = [...new Set(Array.from({ length: n }, (_, p) => a.i32[s.R + p]))];
  rows.forEach((r, i) => (a.i32[s.T + i] = r));
  return { ...s, nT: rows.length };
}

function exercise(s: ReturnType<typeof setup>, n: number): Float32Array {
  const k: Kernels = s.k;
  k.logits(s.R, s.X, n, s.W, s.B, s.Z);
  const first = k.arena.f32.slice(s.Z, s.Z + s.kp);
  for (let step = 0; step < 3; step++) {
    k.axpy(s.R, s.X, n, s.G, s.Z);
    k.adam(s.T, s.nT, s.W, s.G, s.M, s.V, { ...ADAM, lr: ADAM.lr / (step + 1) });
    k.logits(s.R, s.X, n, s.W, s.B, s.Z);
  }
  k.logits(s.R, s.X, n, s.W, s.Z, s.Z); // out aliasing bias: accumulates onto the previous logits
  expect(Array.from(first).every(Number.isFinite)).toBe(true);
  return k.arena.f32.slice(0, s.T);
}

describe('kernels', () => {
  it('the JS reference sums in feature order, like a plain f64 loop to ~1e-6', () => {
    const s = setup('js', 77, 50, 167, 3);
    s.k.logits(s.R, s.X, 167, s.W, s.B, s.Z);
    const f = s.k.arena.f32;
    for (let c = 0; c < 77; c++) {
      let z = f[s.B + c];
      for (let p = 0; p < 167; p++) z += f[s.X + p] * f[s.W + s.k.arena.i32[s.R + p] * s.kp + c];
      expect(Math.abs(f[s.Z + c] - z)).toBeLessThan(1e-5 * Math.max(1, Math.abs(z)));
    }
    // padded lanes stay zero
    for (let c = 77; c < 80; c++) expect(f[s.Z + c]).toBe(0);
  });

  it.skipIf(!simd)('WebAssembly SIMD and the JS reference give the same bits (logits, axpy, Adam)', () => {
    for (const [classes, dim, n] of [[77, 300, 167], [3, 10, 40], [4, 5, 1], [13, 64, 0], [150, 40, 500]]) {
      const wasm = setup('auto', classes, dim, n, classes * 31 + n);
      const js = setup('js', classes, dim, n, classes * 31 + n);
      expect(wasm.k.kind).toBe('wasm-simd');
      expect(js.k.kind).toBe('js');
      const a = exercise(wasm, n);
      const b = exercise(js, n);
      expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    }
  });

  it('rejects a row width that is not a multiple of 4, and a full arena', () => {
    expect(() => createKernels(77, 100)).toThrow(/multiple of 4/);
    const k = createKernels(4, 8, 'js');
    k.arena.alloc(8);
    expect(() => k.arena.alloc(1)).toThrow(/arena full/);
  });
});
