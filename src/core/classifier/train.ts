import { confidenceHistogram } from '../monitor/histogram.js';
import { accuracyOfLogits, balancedClassWeights, fitAdam, type EpochReport, type FitResult } from './adam.js';
import { fuse, knnDistribution, tuneFusion, type FusionParams, type LabelledScore } from './knn.js';
import { selectRows, type FeatureMatrix } from './matrix.js';
import { probabilities, type LinearModel } from './model.js';
import { fitTemperature } from './temperature.js';
import { calibratePolicy, type CalibratedPolicy, type RoutingSample } from '../routing/calibrate.js';
import { reasonFor, topTwo, type RoutingPolicy } from '../routing/policy.js';
import { widestNearBest } from '../routing/near-best.js';
import { mulberry32 } from '../dataset/prng.js';
import type { NoveltySample } from '../novelty/novelty.js';
import { IntentOpsError } from '../errors.js';

export interface ClassifierTrainingOptions {
  readonly l2: number;
  readonly learningRate: number;
  readonly batchSize: number;
  readonly maxEpochs: number;
  readonly patience: number;
  readonly classWeight: 'balanced' | 'none';
  readonly knnK: number;
  readonly targetPrecision: number;
  /** Error probability of the precision promise (see calibratePolicy); 0 = point estimate. */
  readonly delta: number;
  /** The thresholds when no cut reaches the target with the bound (CalibrateOptions.whenUnreached; default best-bound). */
  readonly whenUnreached?: 'best-bound' | 'point' | 'most-precise';
  /**
   * When the target is unreached: take the widest cut of the chosen policy family whose bound is
   * at most this below the chosen cut's (widestNearBest); 0 = off. Default 0.
   */
  readonly boundTolerance?: number;
  readonly random: () => number;
  readonly onEpoch?: (e: EpochReport) => void;
}

export const TRAINING_DEFAULTS = Object.freeze({
  l2: 1e-6,
  learningRate: 0.02,
  batchSize: 64,
  maxEpochs: 10,
  patience: 3,
  classWeight: 'balanced' as const,
  knnK: 10,
  targetPrecision: 0.97,
  delta: 0.05,
});

export interface TrainedClassifier {
  readonly model: LinearModel;
  readonly temperature: number;
  readonly fusion: FusionParams;
  readonly routing: CalibratedPolicy;
  readonly bestEpoch: number;
  readonly history: EpochReport[];
  /** Figures of the final (calibrated, fused) scorer on held-out data (validation or out-of-fold). */
  readonly validation: { accuracy: number; nll: number; lrAccuracy: number; examples: number; confidenceCounts: number[] };
  /** The held-out in-scope messages as the novelty fit sees them (one per validation / out-of-fold row). */
  readonly heldOut: NoveltySample[];
}

/** Rows with their labels and, optionally, per-row training weights (1 when absent). */
type Labelled = { X: FeatureMatrix; y: Int32Array; w?: Float32Array };

/** The training options a fold needs, without functions (they cross to a thread as data). */
export type FoldOptions = Omit<ClassifierTrainingOptions, 'random' | 'onEpoch'>;

/**
 * One cross-fitting fit: train on `train` (early stopping on `val` when given, else `epochs`
 * epochs), then the logits of the `predict` rows. Its random stream is its own (`seed`), so
 * folds give the same answers whichever thread runs them, in whatever order.
 */
export interface FoldJob {
  readonly train: Labelled;
  readonly classes: number;
  readonly predict: FeatureMatrix;
  readonly val?: Labelled;
  readonly epochs?: number;
  readonly seed: number;
}

export interface FoldResult {
  readonly logits: Float32Array;
  readonly bestEpoch: number;
}

export function runFold(job: FoldJob, o: FoldOptions): FoldResult {
  const r = fit(job.train, job.classes, { ...o, random: mulberry32(job.seed) }, job.val, job.epochs ?? o.maxEpochs);
  return { logits: r.logits(job.predict), bestEpoch: r.bestEpoch };
}

/** Runs fold jobs and gives their results in job order: in this thread, or on threads (src/adapters/fold-threads.ts). */
export type FoldRunner = (jobs: readonly FoldJob[], o: FoldOptions) => Promise<FoldResult[]>;

export const runFoldsHere: FoldRunner = async (jobs, o) => jobs.map((j) => runFold(j, o));

const foldOptions = (o: ClassifierTrainingOptions): FoldOptions => {
  const { random: _r, onEpoch: _e, ...rest } = o;
  return rest;
};

/** A fold's seed from the caller's random stream (drawn in job order: the same seeds whatever runs them). */
const seedFrom = (random: () => number) => Math.floor(random() * 2 ** 31);

function fit(train: Labelled, classes: number, o: ClassifierTrainingOptions, val?: Labelled, epochs = o.maxEpochs): FitResult {
  return fitAdam(
    train.X,
    train.y,
    classes,
    {
      l2: o.l2,
      learningRate: o.learningRate,
      batchSize: o.batchSize,
      maxEpochs: epochs,
      patience: o.patience,
      classWeights: o.classWeight === 'balanced' ? balancedClassWeights(train.y, classes, train.w) : undefined,
      sampleWeights: train.w,
      random: o.random,
      onEpoch: o.onEpoch,
    },
    val,
  );
}

/**
 * From held-out logits (and their kNN neighbours) to the serving parameters: temperature,
 * kNN fusion, and the routing thresholds that reach the target precision.
 */
function calibrate(logits: Float32Array, classes: number, y: Int32Array, neighbours: readonly (readonly LabelledScore[])[], o: ClassifierTrainingOptions) {
  const K = classes;
  const lrAccuracy = accuracyOfLogits(logits, K, y);
  const temperature = fitTemperature(logits, K, y);
  const probs = probabilities(logits, K, temperature);
  const tuned = tuneFusion(probs, K, neighbours, y, o.knnK);
  const fusion: FusionParams = { k: tuned.k, alpha: tuned.alpha, tau: tuned.tau };
  const samples: RoutingSample[] = [];
  const p = new Float64Array(K);
  let correct = 0;
  let nll = 0;
  for (let i = 0; i < y.length; i++) {
    const row = probs.subarray(i * K, (i + 1) * K);
    const nb = neighbours[i].slice(0, fusion.k);
    if (fusion.alpha > 0) fuse(row, knnDistribution(nb, K, fusion.tau), fusion.alpha, p);
    else p.set(row);
    const t = topTwo(p);
    const ok = t.label === y[i];
    correct += ok ? 1 : 0;
    nll -= Math.log(Math.max(p[y[i]], 1e-12));
    samples.push({ confidence: t.confidence, margin: t.margin, knnAgrees: nb.length ? nb[0].label === t.label : null, correct: ok });
  }
  const routing = widestNearBest(samples, calibratePolicy(samples, o.targetPrecision, { delta: o.delta, whenUnreached: o.whenUnreached }), o.boundTolerance ?? 0);
  const heldOut: NoveltySample[] = samples.map((s, i) => ({
    confidence: s.confidence,
    neighbour: neighbours[i].length ? neighbours[i][0].score : null,
    unknown: false,
    correct: s.correct,
    passes: reasonFor(routing.policy, s.confidence, s.margin, s.knnAgrees) === 'confident',
  }));
  return {
    temperature,
    fusion,
    heldOut,
    routing,
    validation: { accuracy: correct / y.length, nll: nll / y.length, lrAccuracy, examples: y.length, confidenceCounts: confidenceHistogram(samples.map((s) => s.confidence)) },
  };
}

/**
 * Hold-out recipe (large data, or a validation file): fit LR with Adam on `train` (early
 * stopping on `val`), then calibrate temperature, kNN fusion and routing on `val`; with
 * `refit`, the served model is then fitted on `refit` (train + val) for the best epoch count.
 */
export function trainClassifier(
  input: { classes: number; train: Labelled; val: Labelled & { neighbours: readonly (readonly LabelledScore[])[] }; refit?: Labelled },
  o: ClassifierTrainingOptions,
): TrainedClassifier {
  const f = fit(input.train, input.classes, o, input.val);
  const cal = calibrate(f.logits(input.val.X), input.classes, input.val.y, input.val.neighbours, o);
  if (!input.refit) return { model: f.model, bestEpoch: f.bestEpoch, history: f.history, ...cal };
  // refit on train + validation for the chosen number of epochs: the served model sees all the
  // data; thresholds calibrated on the weaker hold-out model only err on the careful side
  const final = fit(input.refit, input.classes, { ...o, onEpoch: undefined }, undefined, f.bestEpoch);
  return { model: final.model, bestEpoch: f.bestEpoch, history: f.history, ...cal };
}

/**
 * Cross-fitting recipe (small data): k folds give every example an out-of-fold prediction, so
 * calibration sees all n examples instead of a 10 % hold-out; the served model is then fitted
 * on all the data for the median best epoch count of the folds.
 * `neighbours(trainRows, heldOutRows)` searches the held-out rows among the fold's training rows.
 * `calibrate` (1 = yes, one per row; default every row) says which rows' out-of-fold predictions
 * choose the temperature, fusion, thresholds and precision bound and stop each fold's training:
 * rows whose labels no person or audit confirmed (LLM or self-training labels) are trained on and
 * held out with their fold (so a paraphrase never leaks), but never calibrate, because noisy labels
 * make the thresholds too careful. `heldOut` and `validation` then describe the calibrating rows
 * only, in row order.
 */
export async function crossFitClassifier(
  input: {
    classes: number;
    all: Labelled;
    folds: Int32Array;
    neighbours: (trainRows: number[], heldOutRows: number[]) => LabelledScore[][];
    calibrate?: Uint8Array;
  },
  o: ClassifierTrainingOptions,
  run: FoldRunner = runFoldsHere,
): Promise<TrainedClassifier> {
  const K = input.classes;
  const n = input.all.y.length;
  const k = Math.max(...input.folds) + 1;
  const oof = new Float32Array(n * K);
  const oofNeighbours: LabelledScore[][] = new Array(n);
  const w = input.all.w;
  const pick = (rows: number[]): Labelled => ({ X: selectRows(input.all.X, rows), y: Int32Array.from(rows, (i) => input.all.y[i]), ...(w && { w: Float32Array.from(rows, (i) => w[i]) }) });
  const calibrates = (i: number) => !input.calibrate || input.calibrate[i] === 1;
  const parts: { trainRows: number[]; heldOut: number[] }[] = [];
  for (let f = 0; f < k; f++) {
    const trainRows: number[] = [];
    const heldOut: number[] = [];
    for (let i = 0; i < n; i++) (input.folds[i] === f ? heldOut : trainRows).push(i);
    parts.push({ trainRows, heldOut });
  }
  const jobs = parts.map((p) => {
    const checked = p.heldOut.filter(calibrates);
    return { train: pick(p.trainRows), classes: K, val: checked.length ? pick(checked) : undefined, predict: selectRows(input.all.X, p.heldOut), seed: seedFrom(o.random) };
  });
  const results = await run(jobs, foldOptions(o));
  const bestEpochs: number[] = [];
  parts.forEach((p, f) => {
    bestEpochs.push(results[f].bestEpoch);
    const logits = results[f].logits;
    const nb = input.neighbours(p.trainRows, p.heldOut);
    p.heldOut.forEach((row, j) => {
      oof.set(logits.subarray(j * K, (j + 1) * K), row * K);
      oofNeighbours[row] = nb[j];
    });
  });
  bestEpochs.sort((a, b) => a - b);
  const epochs = Math.max(1, bestEpochs[Math.floor(bestEpochs.length / 2)]);
  const final = fit(input.all, K, o, undefined, epochs);
  if (!input.calibrate) return { model: final.model, bestEpoch: epochs, history: final.history, ...calibrate(oof, K, input.all.y, oofNeighbours, o) };
  const rows: number[] = [];
  for (let i = 0; i < n; i++) if (calibrates(i)) rows.push(i);
  if (rows.length === 0) throw new IntentOpsError('invalid_input', 'no confirmed labels to calibrate the thresholds on: every example is a machine label', { hint: 'keep the seed data or reviewed labels in the training data' });
  const sub = new Float32Array(rows.length * K);
  rows.forEach((row, j) => sub.set(oof.subarray(row * K, (row + 1) * K), j * K));
  const cal = calibrate(sub, K, Int32Array.from(rows, (i) => input.all.y[i]), rows.map((i) => oofNeighbours[i]), o);
  return { model: final.model, bestEpoch: epochs, history: final.history, ...cal };
}

/** A random `share` of each class's rows (at least one per class), in row order. */
function sharePerClass(rows: readonly number[], y: Int32Array, share: number, random: () => number): number[] {
  const byClass = new Map<number, number[]>();
  for (const r of rows) {
    const l = byClass.get(y[r]);
    if (l) l.push(r);
    else byClass.set(y[r], [r]);
  }
  const kept: number[] = [];
  for (const l of byClass.values()) {
    for (let i = l.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [l[i], l[j]] = [l[j], l[i]];
    }
    kept.push(...l.slice(0, Math.max(1, Math.round(l.length * share))));
  }
  return kept.sort((a, b) => a - b);
}

/**
 * Leave-intents-out cross-fitting: the classes are split into `groups` random groups; for each,
 * a model is fitted (for `epochs` epochs, as the served one) on the examples of the other classes
 * only, then scores every example of the left-out classes — messages of intents it has genuinely
 * never seen. Returns them as the novelty fit's unknown samples, scored as serving would score
 * them (temperature, kNN fusion, and whether the routing policy alone would accept them).
 * `neighbours(rows, excluded)` searches each row's nearest examples among the rows of classes
 * not in `excluded`.
 */
export async function leaveIntentsOut(
  input: {
    classes: number;
    all: Labelled;
    /** Classes never left out (out-of-scope labels: they are unknown already). */
    keep: ReadonlySet<number>;
    groups: number;
    epochs: number;
    temperature: number;
    fusion: FusionParams;
    policy: RoutingPolicy;
    neighbours: (rows: readonly number[], excluded: ReadonlySet<number>) => LabelledScore[][];
    /**
     * The share of each kept intent's examples a fold trains on (a random subset; default 1):
     * the share the models behind the in-scope reference trained on, so the unknown reference's
     * models see as many examples per intent as those (and cost less).
     */
    trainShare?: number;
    /** At most this many training rows per fold (a random subset beyond it): bounds the cost on big data. */
    maxTrainRows?: number;
  },
  o: ClassifierTrainingOptions,
  run: FoldRunner = runFoldsHere,
): Promise<NoveltySample[]> {
  const K = input.classes;
  const candidates = Array.from({ length: K }, (_, c) => c).filter((c) => !input.keep.has(c));
  for (let i = candidates.length - 1; i > 0; i--) {
    const j = Math.floor(o.random() * (i + 1));
    [candidates[i], candidates[j]] = [candidates[j], candidates[i]];
  }
  const groups = Math.min(input.groups, candidates.length);
  const out: NoveltySample[] = [];
  if (groups < 2) return out;
  const n = input.all.y.length;
  const parts: { left: Set<number>; toLocal: Int32Array; Kl: number; unknownRows: number[] }[] = [];
  const jobs: FoldJob[] = [];
  for (let g = 0; g < groups; g++) {
    const left = new Set(candidates.filter((_, i) => i % groups === g));
    // compact label space of the known classes: the fold's model has no output for the left-out ones
    const known = Array.from({ length: K }, (_, c) => c).filter((c) => !left.has(c));
    const toLocal = new Int32Array(K).fill(-1);
    known.forEach((c, i) => (toLocal[c] = i));
    let trainRows: number[] = [];
    const unknownRows: number[] = [];
    for (let i = 0; i < n; i++) (left.has(input.all.y[i]) ? unknownRows : trainRows).push(i);
    if (input.trainShare !== undefined && input.trainShare < 1) trainRows = sharePerClass(trainRows, input.all.y, input.trainShare, o.random);
    if (input.maxTrainRows && trainRows.length > input.maxTrainRows) {
      for (let i = trainRows.length - 1; i > 0; i--) {
        const j = Math.floor(o.random() * (i + 1));
        [trainRows[i], trainRows[j]] = [trainRows[j], trainRows[i]];
      }
      trainRows = trainRows.slice(0, input.maxTrainRows).sort((a, b) => a - b);
    }
    const Kl = known.length;
    parts.push({ left, toLocal, Kl, unknownRows });
    jobs.push({
      train: { X: selectRows(input.all.X, trainRows), y: Int32Array.from(trainRows, (i) => toLocal[input.all.y[i]]) },
      classes: Kl,
      predict: selectRows(input.all.X, unknownRows),
      epochs: Math.max(1, input.epochs),
      seed: seedFrom(o.random),
    });
  }
  const results = await run(jobs, foldOptions(o));
  parts.forEach(({ left, toLocal, Kl, unknownRows }, g) => {
    const probs = probabilities(results[g].logits, Kl, input.temperature);
    const nbs = input.neighbours(unknownRows, left);
    const p = new Float64Array(Kl);
    unknownRows.forEach((_, j) => {
      const row = probs.subarray(j * Kl, (j + 1) * Kl);
      const nb = nbs[j].slice(0, input.fusion.k).map((x) => ({ label: toLocal[x.label], score: x.score }));
      if (input.fusion.alpha > 0 && nb.length) fuse(row, knnDistribution(nb, Kl, input.fusion.tau), input.fusion.alpha, p);
      else p.set(row);
      const t = topTwo(p);
      const knnAgrees = nb.length ? nb[0].label === t.label : null;
      out.push({
        confidence: t.confidence,
        neighbour: nbs[j].length ? nbs[j][0].score : null,
        unknown: true,
        passes: reasonFor(input.policy, t.confidence, t.margin, knnAgrees) === 'confident',
        intent: input.all.y[unknownRows[j]],
        knownClasses: Kl - input.keep.size,
      });
    });
  });
  return out;
}
