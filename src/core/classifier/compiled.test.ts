import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../dataset/prng.js';
import { CompiledLinear } from './compiled.js';
import { featureMatrix } from './matrix.js';
import { logitsMatrix, logitsOf, logitsSparse, zeroModel, type LinearModel } from './model.js';
import { posterior } from './posterior.js';

/** A model whose W has mostly zero rows, like one trained on hashed features. */
function sparseModel(dim: number, classes: number, seed: number): LinearModel {
  const rnd = mulberry32(seed);
  const m = zeroModel(dim, classes);
  for (let f = 0; f < dim; f++) {
    if (rnd() < 0.8) continue;
    for (let k = 0; k < classes; k++) m.weights[f * classes + k] = (rnd() - 0.5) * 3;
  }
  for (let k = 0; k < classes; k++) m.bias[k] = rnd() - 0.5;
  return m;
}

function sparseRow(dim: number, n: number, rnd: () => number) {
  const idx = new Set<number>();
  while (idx.size < n) idx.add(Math.floor(rnd() * dim));
  const indices = Int32Array.from(idx);
  return { indices, values: Float32Array.from(indices, () => rnd() * 2 - 1) };
}

const close = (a: ArrayLike<number>, b: ArrayLike<number>, n: number) => {
  for (let k = 0; k < n; k++) expect(Math.abs(a[k] - b[k])).toBeLessThan(1e-5 * Math.max(1, Math.abs(b[k])));
};

describe('CompiledLinear', () => {
  it('fromRows: compact rows (in any order, with all-zero and padded ones) compile to the same logits as their full matrix', () => {
    const dim = 3000;
    const K = 7;
    const stride = 8;
    const m = sparseModel(dim, K, 5);
    // compact rows in a scrambled order, one all-zero row among them, padding lanes filled with junk
    const rnd = mulberry32(6);
    const features = [...Array(dim).keys()].filter((f) => m.weights.subarray(f * K, f * K + K).some((w) => w !== 0));
    features.push(features.length ? 0 : 1);
    for (let i = features.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [features[i], features[j]] = [features[j], features[i]];
    }
    const rowOf = new Int32Array(dim).fill(-1);
    const rows = new Float32Array(features.length * stride).fill(9);
    features.forEach((f, r) => {
      rowOf[f] = r;
      rows.set(m.weights.subarray(f * K, f * K + K), r * stride);
    });
    const X = featureMatrix(Array.from({ length: 50 }, () => ({ dense: new Float32Array(0), sparse: sparseRow(dim, 40, rnd) })), dim);
    for (const prefer of ['auto', 'js'] as const) {
      const a = new CompiledLinear(m, prefer);
      const b = CompiledLinear.fromRows({ dim, classes: K, rowOf, rows, stride, bias: m.bias }, prefer);
      const za = new Float32Array(K);
      const zb = new Float32Array(K);
      for (let i = 0; i < X.rows; i++) {
        a.logitsSparse(X.indices, X.values, za, X.indptr[i], X.indptr[i + 1]);
        b.logitsSparse(X.indices, X.values, zb, X.indptr[i], X.indptr[i + 1]);
        expect(Array.from(zb)).toEqual(Array.from(za));
      }
    }
  });

  it('equals the JS reference logits (within 1e-5) on random sparse rows, in both implementations', () => {
    const m = sparseModel(5000, 77, 1);
    const rnd = mulberry32(2);
    const ref = new Float64Array(77);
    const fast = new Float64Array(77);
    const viaJs = new Float64Array(77);
    const wasm = CompiledLinear.of(m);
    const js = new CompiledLinear(m, 'js');
    for (let i = 0; i < 200; i++) {
      const v = sparseRow(5000, 1 + Math.floor(rnd() * 300), rnd);
      logitsSparse(m, v.indices, v.values, ref);
      wasm.logits(v, fast);
      js.logits(v, viaJs);
      close(fast, ref, 77);
      expect(Array.from(viaJs)).toEqual(Array.from(fast));
    }
  });

  it('scores rows longer than one kernel call, dense vectors, empty rows and out-of-range indices', () => {
    const m = sparseModel(6000, 5, 3);
    const rnd = mulberry32(4);
    const c = new CompiledLinear(m);
    const ref = new Float64Array(5);
    const out = new Float64Array(5);
    const long = sparseRow(6000, 3000, rnd);
    logitsSparse(m, long.indices, long.values, ref);
    c.logits(long, out);
    close(out, ref, 5);

    const dense = Float32Array.from({ length: 6000 }, () => (rnd() < 0.5 ? 0 : rnd() - 0.5));
    logitsOf(m, dense, ref);
    c.logits(dense, out);
    close(out, ref, 5);

    c.logits({ indices: new Int32Array(0), values: new Float32Array(0) }, out);
    expect(Array.from(out)).toEqual(Array.from(m.bias));

    c.logits({ indices: Int32Array.from([-1, 6000, 99999]), values: Float32Array.from([1, 1, 1]) }, out);
    expect(Array.from(out)).toEqual(Array.from(m.bias));
  });

  it('is cached per model object, and logitsMatrix sees later changes to the weights', () => {
    const m = sparseModel(100, 3, 5);
    expect(CompiledLinear.of(m)).toBe(CompiledLinear.of(m));
    const X = featureMatrix([{ dense: new Float32Array(0), sparse: { indices: Int32Array.from([7]), values: Float32Array.from([1]) } }], 100);
    m.weights[7 * 3] = 2;
    expect(logitsMatrix(m, X)[0]).toBeCloseTo(2 + m.bias[0], 6);
    m.weights[7 * 3] = 5;
    expect(logitsMatrix(m, X)[0]).toBeCloseTo(5 + m.bias[0], 6);
  });

  it('serves posterior probabilities that sum to 1 and follow the logits', () => {
    const m = sparseModel(1000, 4, 6);
    const rnd = mulberry32(7);
    const v = sparseRow(1000, 50, rnd);
    const p = posterior({ model: m, temperature: 1, fusion: { k: 0, alpha: 0, tau: 1 } }, v, []);
    const z = new Float64Array(4);
    logitsSparse(m, v.indices, v.values, z);
    expect(p.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 12);
    const argmax = (a: ArrayLike<number>) => Array.from(a).indexOf(Math.max(...Array.from(a)));
    expect(argmax(p)).toBe(argmax(z));
  });
});
