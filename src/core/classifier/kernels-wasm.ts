import type { AdamScalars, Arena, Kernels } from './kernel-api.js';
import { emitModule, F32, FunctionBody, I32, Op, Simd, V128 } from './wasm-emit.js';

/*
 * The classifier kernels (see the `Kernels` interface in kernels.ts) as WebAssembly SIMD,
 * emitted per row width `kp` (kp / 4 f32x4 vectors per row, fully unrolled, constant offsets).
 * Every f32x4 operation is the vector form of the JS reference's scalar operation, in the same
 * order, so both give the same bits. Arguments are byte addresses in the imported memory.
 *
 * In the text format:
 *
 *   (func $logits (param $rows $vals $n $W $bias $out i32)
 *     ;; for each block of up to ACC vectors j (accumulators in registers):
 *     ;;   acc_j = v128.load($bias + 16j)
 *     ;;   for p < n: x = f32x4.splat(f32.load($vals + 4p)); r = $W + i32.load($rows + 4p) * 4kp
 *     ;;              acc_j = f32x4.add(acc_j, f32x4.mul(x, v128.load(r + 16j)))
 *     ;;   v128.store($out + 16j, acc_j)
 *   (func $axpy (param $rows $vals $n $G $z i32)
 *     ;; for p < n: x = splat(vals[p]); g = $G + rows[p] * 4kp
 *     ;;   for j: v128.store(g + 16j, f32x4.add(v128.load(g + 16j), f32x4.mul(x, v128.load($z + 16j))))
 *   (func $adam (param $rows $n $W $G $M $V i32) (param $lr $l2 $b1 $c1 $b2 $c2 $eps f32)
 *     ;; for each listed row, for j: g = G + l2·w; G = 0; m = b1·M + c1·g; v = b2·V + (c2·g)·g;
 *     ;;   w = w - (lr·m) / (sqrt(v) + eps)      (all f32x4, splatted scalars)
 */

type WasmExports = {
  logits(rows: number, vals: number, n: number, W: number, bias: number, out: number): void;
  axpy(rows: number, vals: number, n: number, G: number, z: number): void;
  adam(rows: number, n: number, W: number, G: number, M: number, V: number, lr: number, l2: number, b1: number, c1: number, b2: number, c2: number, eps: number): void;
};

const modules = new Map<number, WebAssembly.Module | null>();

/** The compiled kernel module for rows of `kp` floats, or null when WebAssembly SIMD is unavailable. */
export function wasmModule(kp: number): WebAssembly.Module | null {
  let m = modules.get(kp);
  if (m === undefined) {
    try {
      const bytes = kernelModuleBytes(kp);
      m = typeof WebAssembly === 'object' && WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
    } catch {
      m = null;
    }
    modules.set(kp, m);
  }
  return m;
}

export function wasmKernels(kp: number, arena: Arena, module: WebAssembly.Module): Kernels {
  const x = new WebAssembly.Instance(module, { env: { memory: arena.memory! } }).exports as unknown as WasmExports;
  const r = Math.fround;
  // arguments are byte addresses: cells × 4
  return {
    kind: 'wasm-simd',
    arena,
    logits: (rows, vals, n, W, bias, out) => x.logits(rows << 2, vals << 2, n, W << 2, bias << 2, out << 2),
    axpy: (rows, vals, n, G, z) => x.axpy(rows << 2, vals << 2, n, G << 2, z << 2),
    adam: (rows, n, W, G, M, V, s) => x.adam(rows << 2, n, W << 2, G << 2, M << 2, V << 2, s.lr, s.l2, s.beta1, r(1 - s.beta1), s.beta2, r(1 - s.beta2), s.eps),
  };
}

/** The kernel module for rows of `kp` floats (a pure function of `kp`). */
export function kernelModuleBytes(kp: number): Uint8Array<ArrayBuffer> {
  return emitModule({ logits: logitsFn(kp), axpy: axpyFn(kp), adam: adamFn(kp) });
}

/** Accumulators kept in registers per pass over the rows (x64 has 16 vector registers). */
const ACC = 10;

function logitsFn(kp: number): FunctionBody {
  const f = new FunctionBody([I32, I32, I32, I32, I32, I32]);
  const [rows, vals, n, W, bias, out] = [0, 1, 2, 3, 4, 5];
  const end = f.local(I32);
  const r = f.local(I32);
  const p = f.local(I32);
  const q = f.local(I32);
  const x = f.local(V128);
  const vectors = kp / 4;
  const acc = Array.from({ length: Math.min(ACC, vectors) }, () => f.local(V128));
  f.get(rows).get(n).i32(2).op(Op.i32Shl).op(Op.i32Add).set(end);
  for (let j0 = 0; j0 < vectors; j0 += ACC) {
    const width = Math.min(ACC, vectors - j0);
    for (let j = 0; j < width; j++) f.get(bias).v128Load(16 * (j0 + j)).set(acc[j]);
    f.get(rows).set(p).get(vals).set(q);
    f.open(Op.block).get(p).get(end).op(Op.i32GeU).op(Op.brIf, 0);
    f.open(Op.loop);
    f.get(W).get(p).mem(Op.i32Load, 2).i32(kp * 4).op(Op.i32Mul).op(Op.i32Add).set(r);
    f.get(q).mem(Op.f32Load, 2).simd(Simd.f32x4Splat).set(x);
    for (let j = 0; j < width; j++) {
      f.get(acc[j]).get(x).get(r).v128Load(16 * (j0 + j)).simd(Simd.f32x4Mul).simd(Simd.f32x4Add).set(acc[j]);
    }
    f.get(p).i32(4).op(Op.i32Add).set(p);
    f.get(q).i32(4).op(Op.i32Add).set(q);
    f.get(p).get(end).op(Op.i32LtU).op(Op.brIf, 0);
    f.end().end();
    for (let j = 0; j < width; j++) f.get(out).get(acc[j]).v128Store(16 * (j0 + j));
  }
  return f;
}

function axpyFn(kp: number): FunctionBody {
  const f = new FunctionBody([I32, I32, I32, I32, I32]);
  const [rows, vals, n, G, z] = [0, 1, 2, 3, 4];
  const end = f.local(I32);
  const r = f.local(I32);
  const x = f.local(V128);
  f.get(rows).get(n).i32(2).op(Op.i32Shl).op(Op.i32Add).set(end);
  f.open(Op.block).get(rows).get(end).op(Op.i32GeU).op(Op.brIf, 0);
  f.open(Op.loop);
  f.get(G).get(rows).mem(Op.i32Load, 2).i32(kp * 4).op(Op.i32Mul).op(Op.i32Add).set(r);
  f.get(vals).mem(Op.f32Load, 2).simd(Simd.f32x4Splat).set(x);
  for (let j = 0; j < kp / 4; j++) {
    f.get(r).get(r).v128Load(16 * j).get(x).get(z).v128Load(16 * j).simd(Simd.f32x4Mul).simd(Simd.f32x4Add).v128Store(16 * j);
  }
  f.get(rows).i32(4).op(Op.i32Add).set(rows);
  f.get(vals).i32(4).op(Op.i32Add).set(vals);
  f.get(rows).get(end).op(Op.i32LtU).op(Op.brIf, 0);
  f.end().end();
  return f;
}

function adamFn(kp: number): FunctionBody {
  const f = new FunctionBody([I32, I32, I32, I32, I32, I32, F32, F32, F32, F32, F32, F32, F32]);
  const [rows, n, W, G, M, V] = [0, 1, 2, 3, 4, 5];
  const scalars = [6, 7, 8, 9, 10, 11, 12];
  const end = f.local(I32);
  const off = f.local(I32);
  const [pw, pg, pm, pv] = [f.local(I32), f.local(I32), f.local(I32), f.local(I32)];
  const [lr, l2, b1, c1, b2, c2, eps] = scalars.map(() => f.local(V128));
  const [w, g, m, v, zero] = [f.local(V128), f.local(V128), f.local(V128), f.local(V128), f.local(V128)];
  scalars.forEach((s, i) => f.get(s).simd(Simd.f32x4Splat).set([lr, l2, b1, c1, b2, c2, eps][i]));
  f.simd(Simd.v128Const, ...new Array(16).fill(0)).set(zero);
  f.get(rows).get(n).i32(2).op(Op.i32Shl).op(Op.i32Add).set(end);
  f.open(Op.block).get(rows).get(end).op(Op.i32GeU).op(Op.brIf, 0);
  f.open(Op.loop);
  f.get(rows).mem(Op.i32Load, 2).i32(kp * 4).op(Op.i32Mul).set(off);
  f.get(W).get(off).op(Op.i32Add).set(pw);
  f.get(G).get(off).op(Op.i32Add).set(pg);
  f.get(M).get(off).op(Op.i32Add).set(pm);
  f.get(V).get(off).op(Op.i32Add).set(pv);
  for (let j = 0; j < kp / 4; j++) {
    const o = 16 * j;
    f.get(pw).v128Load(o).set(w);
    // g = G + l2·w ; G = 0
    f.get(pg).v128Load(o).get(l2).get(w).simd(Simd.f32x4Mul).simd(Simd.f32x4Add).set(g);
    f.get(pg).get(zero).v128Store(o);
    // m = b1·M + c1·g
    f.get(pm).get(b1).get(pm).v128Load(o).simd(Simd.f32x4Mul).get(c1).get(g).simd(Simd.f32x4Mul).simd(Simd.f32x4Add).tee(m).v128Store(o);
    // v = b2·V + (c2·g)·g
    f.get(pv).get(b2).get(pv).v128Load(o).simd(Simd.f32x4Mul).get(c2).get(g).simd(Simd.f32x4Mul).get(g).simd(Simd.f32x4Mul).simd(Simd.f32x4Add).tee(v).v128Store(o);
    // w -= (lr·m) / (sqrt(v) + eps)
    f.get(pw).get(w).get(lr).get(m).simd(Simd.f32x4Mul).get(v).simd(Simd.f32x4Sqrt).get(eps).simd(Simd.f32x4Add).simd(Simd.f32x4Div).simd(Simd.f32x4Sub).v128Store(o);
  }
  f.get(rows).i32(4).op(Op.i32Add).set(rows);
  f.get(rows).get(end).op(Op.i32LtU).op(Op.brIf, 0);
  f.end().end();
  return f;
}
