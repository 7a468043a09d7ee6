import { IntentOpsError } from '../errors.js';
import type { FeatureMatrix } from './matrix.js';
import { cellsFor, createKernels, padClasses } from './kernels.js';
import { logitsWith, type LinearModel } from './model.js';
import { meanNll } from './loss.js';
import { CompiledLinear, type CompactRows } from './compiled.js';
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
  /** Per-row weights (one per row of X, multiplying the class weight), e.g. machine labels below human ones; defaults to 1. */
  readonly sampleWeights?: Float32Array;
  /** Injected randomness (a seeded PRNG returning [0, 1)): the core owns no global state. */
  readonly random: () => number;
  readonly onEpoch?: (e: EpochReport, current: LinearModel) => void;
  /** 'js' forces the plain-JS kernels (same results, slower); default: WebAssembly SIMD when available. */
  readonly kernels?: 'auto' | 'js';
}

export interface EpochReport {
  readonly epoch: number;
  readonly trainLoss: number;
  readonly valLoss: number | null;
  readonly valAccuracy: number | null;
}

export interface FitResult {
  /** The fitted model; its dim × classes `weights` are built on first access (a fold that only scores rows never builds them). */
  readonly model: LinearModel;
  readonly bestEpoch: number;
  readonly history: EpochReport[];
  /** The model's logits of the rows of `X`: logitsMatrix(model, X), scored from the compact rows training kept. */
  logits(X: FeatureMatrix): Float32Array;
}

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPS = 1e-8;

/**
 * Fits multinomial logistic regression with mini-batch Adam. Updates are lazy: a batch updates
 * only the weight rows of the features it contains (with their Adam moments and L2 term), so an
 * epoch costs O(nnz · classes), not O(dim · classes · batches). With `val`, keeps the weights of
 * the epoch with the lowest temperature-calibrated validation loss and stops after `patience` epochs without progress;
 * without `val`, runs exactly `maxEpochs` epochs. Deterministic for a given `random` (and the
 * same bits with either kernel implementation).
 *
 * Rows of W are only ever touched for features that occur in `X`, so training works on those rows
 * alone (a compact copy, typically 10–15 % of the hashed feature space) and scatters them into the
 * full `dim × classes` matrix at the end. The three inner loops — logits, gradient accumulation
 * and the Adam step — run as f32 SIMD kernels (kernels.ts); softmax and the bias stay in JS.
 */
export function fitAdam(
  X: FeatureMatrix,
  y: Int32Array,
  classes: number,
  o: AdamOptions,
  val?: { X: FeatureMatrix; y: Int32Array },
): FitResult {
  const K = classes;
  const kp = padClasses(K);
  // compact rows, numbered in order of first occurrence
  const rowOf = new Int32Array(X.dim).fill(-1);
  let D = 0;
  checkIndices(X, 'training');
  for (let q = 0; q < X.indices.length; q++) if (rowOf[X.indices[q]] < 0) rowOf[X.indices[q]] = D++;
  const valRows = val ? compactRows(val.X, rowOf) : null;
  const nnz = X.indices.length;
  const vnnz = valRows ? valRows.rows.length : 0;
  const k = createKernels(kp, cellsFor(D * kp, D * kp, D * kp, D * kp, kp, kp, nnz, nnz, D, vnnz, vnnz), o.kernels);
  const A = k.arena;
  const F = A.f32;
  const I = A.i32;
  const [W, G, M, V] = [A.alloc(D * kp), A.alloc(D * kp), A.alloc(D * kp), A.alloc(D * kp)];
  const B = A.alloc(kp);
  const Z = A.alloc(kp);
  const XR = A.alloc(nnz);
  const XV = A.alloc(nnz);
  const T = A.alloc(D);
  const VR = A.alloc(vnnz);
  const VV = A.alloc(vnnz);
  for (let q = 0; q < nnz; q++) I[XR + q] = rowOf[X.indices[q]];
  F.set(X.values, XV);
  if (valRows) {
    I.set(valRows.rows, VR);
    F.set(valRows.values, VV);
  }

  const ez = new Float64Array(K);
  const gb = new Float64Array(K);
  const mb = new Float64Array(K);
  const vb = new Float64Array(K);
  const stamp = new Int32Array(D).fill(-1);
  const cw = o.classWeights ?? new Float32Array(K).fill(1);
  const sw = o.sampleWeights;
  if (sw && sw.length !== X.rows) throw new IntentOpsError('internal', `sampleWeights has ${sw.length} entries for ${X.rows} training rows`);
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
        const n = X.indptr[i + 1] - a;
        k.logits(XR + a, XV + a, n, W, B, Z);
        // softmax in f64; the gradient of the loss w.r.t. the logits, (p - onehot) · weight, back into Z
        let max = -Infinity;
        for (let c = 0; c < K; c++) if (F[Z + c] > max) max = F[Z + c];
        let sum = 0;
        for (let c = 0; c < K; c++) sum += ez[c] = Math.exp(F[Z + c] - max);
        const yi = y[i];
        const w = cw[yi] * scale * (sw ? sw[i] : 1);
        for (let c = 0; c < K; c++) {
          const p = ez[c] / sum;
          if (c === yi) trainLoss -= Math.log(Math.max(p, 1e-12));
          const g = (c === yi ? p - 1 : p) * w;
          F[Z + c] = g;
          gb[c] += g;
        }
        for (let q = XR + a; q < XR + a + n; q++) {
          const f = I[q];
          if (stamp[f] !== step) {
            stamp[f] = step;
            I[T + nTouched++] = f;
          }
        }
        k.axpy(XR + a, XV + a, n, G, Z);
      }
      step++;
      // cosine decay to 5 % of the base rate over maxEpochs: the last epochs refine instead of
      // bouncing around the optimum, so the final weights rarely need early stopping to rescue them
      const decay = 0.05 + 0.95 * 0.5 * (1 + Math.cos((Math.PI * (step - 1)) / totalSteps));
      const lr = (o.learningRate * decay * Math.sqrt(1 - BETA2 ** step)) / (1 - BETA1 ** step);
      k.adam(T, nTouched, W, G, M, V, { lr, l2: o.l2, beta1: BETA1, beta2: BETA2, eps: EPS });
      for (let c = 0; c < K; c++) {
        mb[c] = BETA1 * mb[c] + (1 - BETA1) * gb[c];
        vb[c] = BETA2 * vb[c] + (1 - BETA2) * gb[c] * gb[c];
        F[B + c] -= (lr * mb[c]) / (Math.sqrt(vb[c]) + EPS);
      }
    }
    let valLoss: number | null = null;
    let valAccuracy: number | null = null;
    if (val && valRows) {
      const logits = new Float32Array(val.X.rows * K);
      for (let i = 0; i < val.X.rows; i++) {
        const a = valRows.indptr[i];
        k.logits(VR + a, VV + a, valRows.indptr[i + 1] - a, W, B, Z);
        logits.set(F.subarray(Z, Z + K), i * K);
      }
      // NLL at the best temperature: ranks epochs by how well they separate the classes, not by
      // how over-confident they have become (temperature scaling fixes that afterwards)
      valLoss = meanNll(logits, K, val.y, fitTemperature(logits, K, val.y));
      valAccuracy = accuracyOfLogits(logits, K, val.y);
    }
    const report: EpochReport = { epoch, trainLoss: trainLoss / X.rows, valLoss, valAccuracy };
    history.push(report);
    if (o.onEpoch) {
      const bias = F.slice(B, B + K);
      let weights: Float32Array | undefined;
      // the full matrix is only built if the callback looks at it
      o.onEpoch(report, { dim: X.dim, classes: K, bias, get weights() { return (weights ??= expand(F, W, rowOf, K, kp)); } });
    }
    if (valLoss === null || valAccuracy === null) continue;
    // Calibrated loss, not raw loss or accuracy, picks the epoch: raw loss bottoms out early
    // while accuracy still improves, and accuracy on a small validation set is too noisy.
    if (!best || valLoss < best.loss) {
      best = { acc: valAccuracy, loss: valLoss, epoch, W: F.slice(W, W + D * kp), b: F.slice(B, B + K) };
    } else if (epoch - best.epoch >= o.patience) {
      break;
    }
  }
  const compact: CompactRows = { dim: X.dim, classes: K, rowOf, rows: best ? best.W : F.slice(W, W + D * kp), stride: kp, bias: best ? best.b : F.slice(B, B + K) };
  return { model: lazyModel(compact), bestEpoch: best ? best.epoch : history.length, history, logits: (P) => logitsWith(CompiledLinear.fromRows(compact), P) };
}

/** The full dim × classes weight matrix of compact rows (`src` from `at`, rows `kp` apart). */
function expand(src: Float32Array, at: number, rowOf: Int32Array, K: number, kp: number): Float32Array {
  const out = new Float32Array(rowOf.length * K);
  for (let f = 0; f < rowOf.length; f++) {
    const r = rowOf[f];
    if (r >= 0) out.set(src.subarray(at + r * kp, at + r * kp + K), f * K);
  }
  return out;
}

/** A LinearModel over compact rows whose weights are expanded once, when first read. */
function lazyModel(c: CompactRows): LinearModel {
  let weights: Float32Array | undefined;
  return {
    dim: c.dim,
    classes: c.classes,
    bias: c.bias,
    get weights() {
      return (weights ??= expand(c.rows, 0, c.rowOf, c.classes, c.stride));
    },
  };
}

/** Feature indices index rows of W: one outside [0, dim) is a bug upstream, not something to skip. */
function checkIndices(X: FeatureMatrix, what: string): void {
  for (let q = 0; q < X.indices.length; q++) {
    const f = X.indices[q];
    if (!(f >= 0 && f < X.dim)) throw new IntentOpsError('internal', `${what} features: index ${f} at entry ${q} is outside [0, ${X.dim})`);
  }
}

/** The rows of `X` in compact row numbers, dropping features that have no row (their weights stay 0). */
function compactRows(X: FeatureMatrix, rowOf: Int32Array): { indptr: Int32Array; rows: Int32Array; values: Float32Array } {
  checkIndices(X, 'validation');
  const indptr = new Int32Array(X.rows + 1);
  let n = 0;
  for (let q = 0; q < X.indices.length; q++) if (rowOf[X.indices[q]] >= 0) n++;
  const rows = new Int32Array(n);
  const values = new Float32Array(n);
  let p = 0;
  for (let i = 0; i < X.rows; i++) {
    for (let q = X.indptr[i]; q < X.indptr[i + 1]; q++) {
      const r = rowOf[X.indices[q]];
      if (r < 0) continue;
      rows[p] = r;
      values[p++] = X.values[q];
    }
    indptr[i + 1] = p;
  }
  return { indptr, rows, values };
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

/**
 * Balanced class weights, as scikit-learn: n / (K · n_k). With per-row weights, n_k is the
 * class's total row weight and n the total weight of all rows: every class then carries the
 * same total weight, however many light machine labels it has, and the whole the same as unbalanced.
 */
export function balancedClassWeights(y: ArrayLike<number>, classes: number, rowWeights?: ArrayLike<number>): Float32Array {
  const counts = new Float64Array(classes);
  let total = 0;
  for (let i = 0; i < y.length; i++) {
    const w = rowWeights ? rowWeights[i] : 1;
    counts[y[i]] += w;
    total += w;
  }
  const w = new Float32Array(classes);
  for (let k = 0; k < classes; k++) w[k] = counts[k] > 0 ? total / (classes * counts[k]) : 0;
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
