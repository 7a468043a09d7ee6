/**
 * A tiny WebAssembly binary emitter: just what the classifier kernels (kernels-wasm.ts) need —
 * one imported memory, functions over i32 / f32 / v128 locals, structured control flow, loads,
 * stores and a handful of scalar and SIMD opcodes. Emitting the bytes from TypeScript keeps the
 * kernels' source in the repo without an assembler dependency, and lets each model get a kernel
 * specialised (fully unrolled) for its number of classes.
 *
 * Reference: https://webassembly.github.io/spec/core/binary/ (modules, instructions) and the
 * fixed-width SIMD proposal's opcode table.
 */

export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;
export type ValType = typeof I32 | typeof F32 | typeof V128;

/** Opcodes used by the kernels; SIMD ones are emitted after the 0xfd prefix. */
export const Op = Object.freeze({
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  return: 0x0f,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  f32Load: 0x2a,
  i32Store: 0x36,
  f32Store: 0x38,
  i32Const: 0x41,
  f32Const: 0x43,
  i32Eqz: 0x45,
  i32Ne: 0x47,
  i32LtS: 0x48,
  i32LtU: 0x49,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32Shl: 0x74,
});

export const Simd = Object.freeze({
  v128Load: 0x00,
  v128Store: 0x0b,
  v128Const: 0x0c,
  f32x4Splat: 0x13,
  f32x4Sqrt: 0xe3,
  f32x4Add: 0xe4,
  f32x4Sub: 0xe5,
  f32x4Mul: 0xe6,
  f32x4Div: 0xe7,
});

export function uleb(n: number): number[] {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`uleb128 of ${n}`);
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

export function sleb(n: number): number[] {
  if (!Number.isInteger(n)) throw new RangeError(`sleb128 of ${n}`);
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n = Math.floor(n / 128);
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const utf8 = (s: string) => {
  const b = new TextEncoder().encode(s);
  return [...uleb(b.length), ...b];
};
const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];

/** The body of one function: call the instruction methods in order, as in the text format. */
export class FunctionBody {
  readonly bytes: number[] = [];
  private readonly extraLocals: ValType[] = [];

  constructor(readonly params: readonly ValType[], readonly results: readonly ValType[] = []) {}

  /** Declares a local after the parameters and returns its index. */
  local(t: ValType): number {
    this.extraLocals.push(t);
    return this.params.length + this.extraLocals.length - 1;
  }

  op(code: number, ...immediates: number[]): this {
    this.bytes.push(code, ...immediates);
    return this;
  }
  simd(code: number, ...immediates: number[]): this {
    this.bytes.push(0xfd, ...uleb(code), ...immediates);
    return this;
  }
  get(i: number): this {
    return this.op(Op.localGet, ...uleb(i));
  }
  set(i: number): this {
    return this.op(Op.localSet, ...uleb(i));
  }
  tee(i: number): this {
    return this.op(Op.localTee, ...uleb(i));
  }
  i32(n: number): this {
    return this.op(Op.i32Const, ...sleb(n | 0));
  }
  f32(x: number): this {
    const b = new Uint8Array(new Float32Array([x]).buffer);
    return this.op(Op.f32Const, ...b);
  }
  /** A memory access: `align` is log2 of the byte alignment promised, `offset` a constant byte offset. */
  mem(code: number, align: number, offset = 0): this {
    return this.op(code, ...uleb(align), ...uleb(offset));
  }
  v128Load(offset = 0): this {
    return this.simd(Simd.v128Load, ...uleb(4), ...uleb(offset));
  }
  v128Store(offset = 0): this {
    return this.simd(Simd.v128Store, ...uleb(4), ...uleb(offset));
  }
  /** Opens a block, loop or if with an empty block type; close it with `end()`. */
  open(code: typeof Op.block | typeof Op.loop | typeof Op.if): this {
    return this.op(code, 0x40);
  }
  end(): this {
    return this.op(Op.end);
  }

  /** The function's code entry: locals (run-length encoded) + instructions + the final end. */
  encode(): number[] {
    const runs: number[][] = [];
    for (const t of this.extraLocals) {
      const last = runs[runs.length - 1];
      if (last && last[1] === t) last[0]++;
      else runs.push([1, t]);
    }
    const body = [...vec(runs.map(([n, t]) => [...uleb(n), t])), ...this.bytes, Op.end];
    return [...uleb(body.length), ...body];
  }
}

/**
 * A module that imports its memory as `env.memory` (so the caller owns and sizes it) and exports
 * the given functions by name.
 */
export function emitModule(functions: Record<string, FunctionBody>, minPages = 1): Uint8Array<ArrayBuffer> {
  const fns = Object.entries(functions);
  const section = (id: number, content: number[]) => [id, ...uleb(content.length), ...content];
  const types = vec(fns.map(([, f]) => [0x60, ...vec(f.params.map((t) => [t])), ...vec(f.results.map((t) => [t]))]));
  const imports = vec([[...utf8('env'), ...utf8('memory'), 0x02, 0x00, ...uleb(minPages)]]);
  const funcs = vec(fns.map((_, i) => uleb(i)));
  const exports = vec(fns.map(([name], i) => [...utf8(name), 0x00, ...uleb(i)]));
  const code = vec(fns.map(([, f]) => f.encode()));
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, types),
    ...section(2, imports),
    ...section(3, funcs),
    ...section(7, exports),
    ...section(10, code),
  ]);
}
