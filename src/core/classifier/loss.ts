import type { FeatureMatrix } from './matrix.js';
import { logitsSparse, type LinearModel } from './model.js';
import { logSumExp, softmaxInto } from './softmax.js';

/**
 * The training objective, full batch: Σ_i w_{y_i} · CE_i / Σ_i w_{y_i} + (l2 / 2) · ||W||².
 * Returns the loss and (optionally) its exact gradient. Used by tests (finite differences) and
 * by evaluation; training uses the mini-batch version in adam.ts.
 */
export function objective(
  m: LinearModel,
  X: FeatureMatrix,
  y: ArrayLike<number>,
  l2: number,
  classWeights?: ArrayLike<number>,
  grad?: { weights: Float64Array; bias: Float64Array },
): number {
  const K = m.classes;
  const z = new Float64Array(K);
  const p = new Float64Array(K);
  let loss = 0;
  let wsum = 0;
  if (grad) {
    grad.weights.fill(0);
    grad.bias.fill(0);
  }
  for (let i = 0; i < X.rows; i++) wsum += classWeights ? classWeights[y[i]] : 1;
  for (let i = 0; i < X.rows; i++) {
    const a = X.indptr[i];
    const b = X.indptr[i + 1];
    logitsSparse(m, X.indices, X.values, z, a, b);
    const w = (classWeights ? classWeights[y[i]] : 1) / wsum;
    loss += w * (logSumExp(z) - z[y[i]]);
    if (!grad) continue;
    softmaxInto(z, p);
    p[y[i]] -= 1;
    for (let k = 0; k < K; k++) grad.bias[k] += w * p[k];
    for (let q = a; q < b; q++) {
      const base = X.indices[q] * K;
      const x = X.values[q] * w;
      for (let k = 0; k < K; k++) grad.weights[base + k] += x * p[k];
    }
  }
  let ss = 0;
  for (let j = 0; j < m.weights.length; j++) ss += m.weights[j] * m.weights[j];
  if (grad) for (let j = 0; j < m.weights.length; j++) grad.weights[j] += l2 * m.weights[j];
  return loss + 0.5 * l2 * ss;
}

/** Mean (unweighted) negative log-likelihood of labels under logits / T. */
export function meanNll(logits: Float32Array, classes: number, y: ArrayLike<number>, temperature = 1): number {
  let s = 0;
  const n = logits.length / classes;
  for (let i = 0; i < n; i++) {
    const z = logits.subarray(i * classes, (i + 1) * classes);
    s += logSumExp(z, temperature) - z[y[i]] / temperature;
  }
  return s / n;
}
