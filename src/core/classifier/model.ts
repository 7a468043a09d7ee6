import type { SparseVector } from '../types.js';
import type { FeatureMatrix } from './matrix.js';
import { CompiledLinear } from './compiled.js';
import type { LinearModel } from './linear-model.js';
import { softmaxInto } from './softmax.js';

export type { LinearModel };

export function zeroModel(dim: number, classes: number): LinearModel {
  return { dim, classes, weights: new Float32Array(dim * classes), bias: new Float32Array(classes) };
}

/**
 * Logits of one sparse row, written into `out` (length = classes): the plain-JS reference, summed
 * in f64. Serving and training use the compiled SIMD kernels (compiled.ts, kernels.ts) instead.
 */
export function logitsSparse(m: LinearModel, indices: ArrayLike<number>, values: ArrayLike<number>, out: Float32Array | Float64Array, from = 0, to = indices.length): void {
  const K = m.classes;
  const W = m.weights;
  for (let k = 0; k < K; k++) out[k] = m.bias[k];
  for (let p = from; p < to; p++) {
    const x = values[p];
    const base = indices[p] * K;
    for (let k = 0; k < K; k++) out[k] += x * W[base + k];
  }
}

/** Logits of a sparse or dense feature vector: the plain-JS reference (see `CompiledLinear.logits`). */
export function logitsOf(m: LinearModel, v: SparseVector | Float32Array, out: Float32Array | Float64Array): void {
  if (v instanceof Float32Array) {
    const K = m.classes;
    for (let k = 0; k < K; k++) out[k] = m.bias[k];
    for (let f = 0; f < v.length; f++) {
      const x = v[f];
      if (x === 0) continue;
      const base = f * K;
      for (let k = 0; k < K; k++) out[k] += x * m.weights[base + k];
    }
  } else {
    logitsSparse(m, v.indices, v.values, out);
  }
}

/**
 * Logits of every row of a matrix: a rows × classes Float32Array. Computed by the same compiled
 * kernel as serving (compiled.ts), so calibration sees exactly the logits served. The model is
 * compiled afresh on each call (O(dim · classes), small next to scoring a validation set), so
 * callers may keep changing its weights between calls.
 */
export function logitsMatrix(m: LinearModel, X: FeatureMatrix): Float32Array {
  return logitsWith(new CompiledLinear(m), X);
}

/** logitsMatrix with a model compiled already (e.g. CompiledLinear.fromRows). */
export function logitsWith(c: CompiledLinear, X: FeatureMatrix): Float32Array {
  const K = c.classes;
  const out = new Float32Array(X.rows * K);
  for (let i = 0; i < X.rows; i++) c.logitsSparse(X.indices, X.values, out.subarray(i * K, (i + 1) * K), X.indptr[i], X.indptr[i + 1]);
  return out;
}

/** Row-wise softmax of a rows × classes logit matrix at a temperature. */
export function probabilities(logits: Float32Array, classes: number, temperature = 1): Float32Array {
  const out = new Float32Array(logits.length);
  for (let i = 0; i < logits.length; i += classes) {
    softmaxInto(logits.subarray(i, i + classes), out.subarray(i, i + classes), temperature);
  }
  return out;
}
