import type { FeatureMatrix } from './matrix.js';
import { logitsMatrix, logitsSparse, zeroModel, type LinearModel } from './model.js';
import { meanNll } from './loss.js';
import { softmaxInto } from './softmax.js';
import { fitTemperature } from './temperature.js';

export interface AdamOptions {
  /** L2 penalty on W (per example, i.e. 1 / (C · n) in scikit-learn's terms). */
  readonly l2: number;
  readonly learningRate: number;
  readonly batchSize: number;
  readonly maxEpochs: number;
  /** Stop after this many epochs without a better (temperature-calibrated) validation loss. */
  readonly patience: number;
  /** Per-class weights (e.g. balanced); defaults to 1. */
  readonly classWeights?: Float32Array;
  /** Injected randomness (a seeded PRNG returning [0, 1)): the core owns no global state. */
  readonly random: () => number;
  readonly onEpoch?: (e: EpochReport, current: LinearModel) => void;
}

export interface EpochReport {
  readonly epoch: number;
  readonly trainLoss: number;
  readonly valLoss: number | null;
  readonly valAccuracy: number | null;
}

export interface FitResult {
  readonly model: LinearModel;
  readonly bestEpoch: number;
  readonly history: EpochReport[];
}

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPS = 1e-8;

/**
 * Fits multinomial logistic regression with mini-batch Adam. Updates are lazy: a batch updates
 * only the weight rows of the features it contains (with their Adam moments and L2 term), so an
 * epoch costs O(nnz · classes), not O(dim · classes · batches). With `val`, keeps the weights of
 * the epoch with the lowest temperature-calibrated validation loss and stops after `patience` epochs without progress;
 * without `val`, runs exactly `maxEpochs` epochs. Deterministic for a given `random`.
 */
export function fitAdam(
  X: FeatureMatrix,
  y: Int32Array,
  classes: number,
  o: AdamOptions,
  val?: { X: FeatureMatrix; y: Int32Array },
): FitResult {
  const K = classes;
  const model = zeroModel(X.dim, K);
  const W = model.weights;
  const b = model.bias;
  const G = new Float32Array(W.length);
  const M = new Float32Array(W.length);
  const V = new Float32Array(W.length);
  const gb = new Float64Array(K);
  const mb = new Float64Array(K);
  const vb = new Float64Array(K);
  const stamp = new Int32Array(X.dim).fill(-1);
  const touched = new Int32Array(X.dim);
  const z = new Float64Array(K);
  const cw = o.classWeights ?? new Float32Array(K).fill(1);
  const order = Int32Array.from({ length: X.rows }, (_, i) => i);
  const history: EpochReport[] = [];
  let best: { acc: number; loss: number; epoch: number; W: Float32Array; b: Float32Array } | null = null;
  let step = 0;
  const batchesPerEpoch = Math.ceil(X.rows / o.batchSize);
  const totalSteps = batchesPerEpoch * o.maxEpochs;

  for (let epoch = 1; epoch <= o.maxEpochs; epoch++) {
    shuffle(order, o.random);
    let trainLoss = 0;
    for (let start = 0; start < X.rows; start += o.batchSize) {
      const end = Math.min(X.rows, start + o.batchSize);
      const scale = 1 / (end - start);
      let nTouched = 0;
      gb.fill(0);
      for (let r = start; r < end; r++) {
        const i = order[r];
        const a = X.indptr[i];
        const e = X.indptr[i + 1];
        logitsSparse(model, X.indices, X.values, z, a, e);
        softmaxInto(z, z);
        const yi = y[i];
        trainLoss -= Math.log(Math.max(z[yi], 1e-12));
        z[yi] -= 1;
        const w = cw[yi] * scale;
        for (let k = 0; k < K; k++) {
          z[k] *= w;
          gb[k] += z[k];
        }
        for (let q = a; q < e; q++) {
          const f = X.indices[q];
          if (stamp[f] !== step) {
            stamp[f] = step;
            touched[nTouched++] = f;
          }
          const x = X.values[q];
          const base = f * K;
          for (let k = 0; k < K; k++) G[base + k] += x * z[k];
        }
      }
      step++;
      // cosine decay to 5 % of the base rate over maxEpochs: the last epochs refine instead of
      // bouncing around the optimum, so the final weights rarely need early stopping to rescue them
      const decay = 0.05 + 0.95 * 0.5 * (1 + Math.cos((Math.PI * (step - 1)) / totalSteps));
      const lr = (o.learningRate * decay * Math.sqrt(1 - BETA2 ** step)) / (1 - BETA1 ** step);
      for (let t = 0; t < nTouched; t++) {
        const base = touched[t] * K;
        for (let k = 0; k < K; k++) {
          const j = base + k;
          const g = G[j] + o.l2 * W[j];
          G[j] = 0;
          const m = (M[j] = BETA1 * M[j] + (1 - BETA1) * g);
          const v = (V[j] = BETA2 * V[j] + (1 - BETA2) * g * g);
          W[j] -= (lr * m) / (Math.sqrt(v) + EPS);
        }
      }
      for (let k = 0; k < K; k++) {
        mb[k] = BETA1 * mb[k] + (1 - BETA1) * gb[k];
        vb[k] = BETA2 * vb[k] + (1 - BETA2) * gb[k] * gb[k];
        b[k] -= (lr * mb[k]) / (Math.sqrt(vb[k]) + EPS);
      }
    }
    let valLoss: number | null = null;
    let valAccuracy: number | null = null;
    if (val) {
      const logits = logitsMatrix(model, val.X);
      // NLL at the best temperature: ranks epochs by how well they separate the classes, not by
      // how over-confident they have become (temperature scaling fixes that afterwards)
      valLoss = meanNll(logits, K, val.y, fitTemperature(logits, K, val.y));
      valAccuracy = accuracyOfLogits(logits, K, val.y);
    }
    const report: EpochReport = { epoch, trainLoss: trainLoss / X.rows, valLoss, valAccuracy };
    history.push(report);
    o.onEpoch?.(report, model);
    if (valLoss === null || valAccuracy === null) continue;
    // Calibrated loss, not raw loss or accuracy, picks the epoch: raw loss bottoms out early
    // while accuracy still improves, and accuracy on a small validation set is too noisy.
    if (!best || valLoss < best.loss) {
      best = { acc: valAccuracy, loss: valLoss, epoch, W: W.slice(), b: b.slice() };
    } else if (epoch - best.epoch >= o.patience) {
      break;
    }
  }
  if (best) {
    W.set(best.W);
    b.set(best.b);
    return { model, bestEpoch: best.epoch, history };
  }
  return { model, bestEpoch: history.length, history };
}

export function accuracyOfLogits(logits: Float32Array, K: number, y: ArrayLike<number>): number {
  let ok = 0;
  const n = logits.length / K;
  for (let i = 0; i < n; i++) {
    let arg = 0;
    for (let k = 1; k < K; k++) if (logits[i * K + k] > logits[i * K + arg]) arg = k;
    if (arg === y[i]) ok++;
  }
  return ok / n;
}

/** Balanced class weights, as scikit-learn: n / (K · n_k). */
export function balancedClassWeights(y: ArrayLike<number>, classes: number): Float32Array {
  const counts = new Float64Array(classes);
  for (let i = 0; i < y.length; i++) counts[y[i]]++;
  const w = new Float32Array(classes);
  for (let k = 0; k < classes; k++) w[k] = counts[k] > 0 ? y.length / (classes * counts[k]) : 0;
  return w;
}

function shuffle(a: Int32Array, random: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}
