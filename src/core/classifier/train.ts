import { accuracyOfLogits, balancedClassWeights, fitAdam, type EpochReport } from './adam.js';
import { tuneFusion, type FusionParams, type LabelledScore } from './knn.js';
import type { FeatureMatrix } from './matrix.js';
import { logitsMatrix, probabilities, type LinearModel } from './model.js';
import { meanNll } from './loss.js';
import { fitTemperature } from './temperature.js';
import { fuse, knnDistribution } from './knn.js';
import { calibratePolicy, type CalibratedPolicy, type RoutingSample } from '../routing/calibrate.js';
import { topTwo } from '../routing/policy.js';

export interface ClassifierTrainingOptions {
  readonly l2: number;
  readonly learningRate: number;
  readonly batchSize: number;
  readonly maxEpochs: number;
  readonly patience: number;
  readonly classWeight: 'balanced' | 'none';
  readonly knnK: number;
  readonly targetPrecision: number;
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
});

export interface TrainingInput {
  readonly classes: number;
  readonly train: { X: FeatureMatrix; y: Int32Array };
  readonly val: { X: FeatureMatrix; y: Int32Array; neighbours: readonly (readonly LabelledScore[])[] };
}

export interface TrainedClassifier {
  readonly model: LinearModel;
  readonly temperature: number;
  readonly fusion: FusionParams;
  readonly routing: CalibratedPolicy;
  readonly bestEpoch: number;
  readonly history: EpochReport[];
  /** Validation figures of the final (calibrated, fused) scorer. */
  readonly validation: { accuracy: number; nll: number; lrAccuracy: number };
}

/**
 * The training recipe, pure: fit LR with Adam (early stopping on validation), temperature-scale
 * on validation, tune the kNN fusion on validation, then choose the routing thresholds that
 * reach the target precision on validation.
 */
export function trainClassifier(input: TrainingInput, o: ClassifierTrainingOptions): TrainedClassifier {
  const K = input.classes;
  const { train, val } = input;
  const fit = fitAdam(
    train.X,
    train.y,
    K,
    {
      l2: o.l2,
      learningRate: o.learningRate,
      batchSize: o.batchSize,
      maxEpochs: o.maxEpochs,
      patience: o.patience,
      classWeights: o.classWeight === 'balanced' ? balancedClassWeights(train.y, K) : undefined,
      random: o.random,
      onEpoch: o.onEpoch,
    },
    val,
  );
  const logits = logitsMatrix(fit.model, val.X);
  const lrAccuracy = accuracyOfLogits(logits, K, val.y);
  const temperature = fitTemperature(logits, K, val.y);
  const probs = probabilities(logits, K, temperature);
  const fusion = tuneFusion(probs, K, val.neighbours, val.y, o.knnK);

  const samples: RoutingSample[] = [];
  const p = new Float64Array(K);
  let correct = 0;
  let nll = 0;
  for (let i = 0; i < val.y.length; i++) {
    const row = probs.subarray(i * K, (i + 1) * K);
    const nb = val.neighbours[i].slice(0, fusion.k);
    if (fusion.alpha > 0) fuse(row, knnDistribution(nb, K, fusion.tau), fusion.alpha, p);
    else p.set(row);
    const t = topTwo(p);
    const ok = t.label === val.y[i];
    correct += ok ? 1 : 0;
    nll -= Math.log(Math.max(p[val.y[i]], 1e-12));
    samples.push({ confidence: t.confidence, margin: t.margin, knnAgrees: nb.length ? nb[0].label === t.label : null, correct: ok });
  }
  const routing = calibratePolicy(samples, o.targetPrecision);
  return {
    model: fit.model,
    temperature,
    fusion: { k: fusion.k, alpha: fusion.alpha, tau: fusion.tau },
    routing,
    bestEpoch: fit.bestEpoch,
    history: fit.history,
    validation: { accuracy: correct / val.y.length, nll: nll / val.y.length, lrAccuracy },
  };
}

export { meanNll };
