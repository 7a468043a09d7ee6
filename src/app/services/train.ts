import { CONFIDENCE_EDGES } from '../../core/monitor/histogram.js';
import { performance } from 'node:perf_hooks';
import { writeBundle, type Manifest } from '../../adapters/bundle/index.js';
import { createEmbedder, fitEmbedder, type EmbedderOptions } from '../../adapters/embedders/index.js';
import { stateOf } from '../../adapters/embedders/combined.js';
import { getVectorIndexFactory } from '../../adapters/vector-index/index.js';
import { featureMatrix } from '../../core/classifier/matrix.js';
import { crossFitClassifier, trainClassifier, TRAINING_DEFAULTS, type ClassifierTrainingOptions } from '../../core/classifier/train.js';
import type { EpochReport } from '../../core/classifier/adam.js';
import { dataHash, labelMap, mulberry32, stratifiedFolds, stratifiedSplit, type DataReport, type Example } from '../../core/dataset/index.js';
import { IntentOpsError } from '../../core/errors.js';
import type { Embedding } from '../../core/types.js';
import { loadExamples, type LoadOptions } from './dataset.js';
import { OUT_OF_SCOPE_LABELS } from './model.js';
import { silentProgress, type ProgressReporter } from './progress.js';

export type IndexChoice = 'auto' | 'exact' | 'hnsw';
export type ValidationChoice = 'auto' | 'split' | 'cv';

/**
 * Up to this many examples, calibration uses k-fold cross-fitting instead of a 10 % hold-out:
 * the thresholds are then chosen on every example (out of fold) and the served model is fitted
 * on all of them. Above it, a 10 % hold-out calibrates and the model is then refitted on
 * everything (cross-fitting BANKING77's 10k examples took 19 s for the same gain).
 */
export const CV_MAX_EXAMPLES = 5000;

/** 5 folds for small data; 3 above 5,000 examples, where each fold already has plenty. */
export function cvFolds(n: number): number {
  return n <= 5000 ? 5 : 3;
}

/** 'cv' for small data (calibration then sees every example, the model all the data), else a split. */
export function chooseValidation(choice: ValidationChoice, n: number, hasValFile: boolean): 'split' | 'cv' {
  if (hasValFile) return 'split';
  if (choice !== 'auto') return choice;
  return n <= CV_MAX_EXAMPLES ? 'cv' : 'split';
}

export interface TrainRequest {
  readonly data: string;
  readonly val?: string;
  readonly out: string;
  readonly name?: string;
  readonly embedder: string;
  readonly embedderOptions?: EmbedderOptions;
  readonly index?: IndexChoice;
  /** Where slow embedders (onnx, openai) cache training vectors by text hash; none when absent. */
  readonly cacheDir?: string;
  /** How thresholds are calibrated without --val: a stratified hold-out, or k-fold cross-fitting. */
  readonly validation?: ValidationChoice;
  readonly seed: number;
  readonly valFraction?: number;
  readonly load?: LoadOptions;
  readonly training?: Partial<Omit<ClassifierTrainingOptions, 'random' | 'onEpoch'>>;
  readonly progress?: ProgressReporter;
  /** Injected clock for the manifest's createdAt (tests pin it). */
  readonly now?: () => Date;
}

export interface TrainResult {
  readonly manifest: Manifest;
  readonly dir: string;
  readonly report: DataReport;
  readonly seconds: number;
}

/** Above this many stored floats (items × dim), exact search gets slower than HNSW. */
export const EXACT_INDEX_MAX_CELLS = 1_000_000;

export function chooseIndex(choice: IndexChoice, items: number, dim: number): 'exact' | 'hnsw' {
  if (choice !== 'auto') return choice;
  return items * dim <= EXACT_INDEX_MAX_CELLS ? 'exact' : 'hnsw';
}

async function embedAll(embedder: { embed: (t: readonly string[], p?: (d: number, n: number) => void) => Promise<Embedding[]> }, texts: string[], task: string, progress: ProgressReporter): Promise<Embedding[]> {
  progress.start(task, texts.length);
  try {
    return await embedder.embed(texts, (d) => progress.update(d));
  } finally {
    progress.stop();
  }
}

/**
 * The train use case: load + validate data, split, fit the embedder, embed, index, fit and
 * calibrate the classifier, write the bundle atomically.
 */
export async function trainModel(req: TrainRequest): Promise<TrainResult> {
  const t0 = performance.now();
  const progress = req.progress ?? silentProgress;
  const loaded = await loadExamples(req.data, req.load);
  const validation = chooseValidation(req.validation ?? 'auto', loaded.examples.length, Boolean(req.val));
  let trainSet: Example[];
  let valSet: Example[];
  if (req.val) {
    trainSet = loaded.examples;
    valSet = (await loadExamples(req.val, req.load)).examples;
  } else if (validation === 'cv') {
    trainSet = loaded.examples;
    valSet = [];
  } else {
    ({ train: trainSet, val: valSet } = stratifiedSplit(loaded.examples, { seed: req.seed, valFraction: req.valFraction ?? 0.1 }));
  }
  const lm = labelMap(trainSet.map((e) => e.label));
  const unknown = valSet.find((e) => !lm.index.has(e.label));
  if (unknown) {
    throw new IntentOpsError('invalid_input', `validation label ${JSON.stringify(unknown.label)} does not occur in the training data`, {
      where: `${unknown.file}:${unknown.line}`,
      hint: 'every validation label needs training examples: add some, or drop these validation rows',
    });
  }
  if (validation !== 'cv' && valSet.length === 0) {
    throw new IntentOpsError('invalid_input', 'no validation examples: thresholds cannot be calibrated', { where: req.val ?? req.data, hint: 'give --val FILE or more data per label' });
  }

  const embedder = await createEmbedder(req.embedder, req.embedderOptions, req.cacheDir);
  await fitEmbedder(embedder, trainSet.map((e) => e.text));
  const trainEmb = await embedAll(embedder, trainSet.map((e) => e.text), 'embedding training data', progress);
  const valEmb = valSet.length ? await embedAll(embedder, valSet.map((e) => e.text), 'embedding validation data', progress) : [];
  const yTrain = Int32Array.from(trainSet, (e) => lm.index.get(e.label)!);
  const yVal = Int32Array.from(valSet, (e) => lm.index.get(e.label)!);

  const indexKind = chooseIndex(req.index ?? 'auto', trainSet.length + valSet.length, embedder.dim);
  // HNSW tuned for intent data (measured on BANKING77: recall@3 ≈ 0.99 at ef 64, build 2.5× faster
  // than efConstruction 200); exact ignores these
  const index = getVectorIndexFactory(indexKind).create(embedder.dim, indexKind === 'hnsw' ? { seed: req.seed, efConstruction: 100, efSearch: 64 } : { seed: req.seed });
  index.add(trainEmb.map((e) => e.dense), yTrain);
  const o = { ...TRAINING_DEFAULTS, ...req.training };
  const X = featureMatrix(trainEmb, embedder.featureDim);
  const opts = { ...o, random: mulberry32(req.seed), onEpoch: (e: EpochReport) => progress.update(e.epoch, { valAccuracy: (e.valAccuracy ?? 0).toFixed(4) }) };

  const folds = cvFolds(trainSet.length);
  progress.start(validation === 'cv' ? `training (${folds}-fold cross-fitting)` : 'training', o.maxEpochs);
  let trained;
  try {
    if (validation === 'cv') {
      const foldOf = stratifiedFolds(trainSet, folds, req.seed);
      trained = crossFitClassifier(
        {
          classes: lm.labels.length,
          all: { X, y: yTrain },
          folds: foldOf,
          // neighbours of a held-out row among the other folds' rows: search wider, drop its own fold
          neighbours: (_trainRows, heldOut) =>
            heldOut.map((row) => index.search(trainEmb[row].dense, o.knnK * 3 + 5).filter((nb) => foldOf[nb.id] !== foldOf[row]).slice(0, o.knnK)),
        },
        opts,
      );
    } else {
      const valNeighbours = valEmb.map((e) => index.search(e.dense, o.knnK));
      const Xval = featureMatrix(valEmb, embedder.featureDim);
      // a split of the training file is refitted on all of it; a separate --val file stays held out
      const refit = req.val ? undefined : { X: featureMatrix([...trainEmb, ...valEmb], embedder.featureDim), y: Int32Array.from([...yTrain, ...yVal]) };
      trained = trainClassifier({ classes: lm.labels.length, train: { X, y: yTrain }, val: { X: Xval, y: yVal, neighbours: valNeighbours }, refit }, opts);
      // the served index holds every labelled example, validation included
      index.add(valEmb.map((e) => e.dense), yVal);
    }
  } finally {
    progress.stop();
  }

  const state = stateOf(embedder);
  const seconds = (performance.now() - t0) / 1000;
  const outOfScope = lm.labels.filter((l) => OUT_OF_SCOPE_LABELS.includes(l.toLowerCase()));
  const manifest = writeBundle(
    req.out,
    {
      name: req.name ?? req.out.split(/[\\/]/).filter(Boolean).pop() ?? 'model',
      createdAt: (req.now ?? (() => new Date()))().toISOString(),
      seed: req.seed,
      dataHash: dataHash([...trainSet, ...valSet]),
      labels: lm.labels,
      outOfScopeLabels: outOfScope,
      embedder: { name: state.name, config: state.config },
      classifier: {
        dim: embedder.featureDim,
        classes: lm.labels.length,
        temperature: trained.temperature,
        fusion: trained.fusion,
      },
      routing: trained.routing,
      index: { kind: indexKind, dim: embedder.dim, size: index.size },
      metrics: {
        valAccuracy: trained.validation.accuracy,
        valNll: trained.validation.nll,
        valLrAccuracy: trained.validation.lrAccuracy,
        valCoverage: trained.routing.coverage,
        valAcceptedPrecision: trained.routing.precision,
        trainSeconds: seconds,
      },
      training: {
        options: { ...o, embedder: req.embedder },
        bestEpoch: trained.bestEpoch,
        history: trained.history,
        durationMs: Math.round(seconds * 1000),
        trainExamples: trainSet.length,
        valExamples: trained.validation.examples,
        valSource: req.val ? 'file' : validation,
      },
      data: { ...loaded.report },
      // the drift monitor's confidence reference: the held-out predictions the thresholds were calibrated on
      monitor: { confidence: { edges: [...CONFIDENCE_EDGES], counts: trained.validation.confidenceCounts } },
    },
    {
      weights: trained.model.weights,
      bias: trained.model.bias,
      embedderArrays: state.arrays,
      indexBytes: index.toBytes(),
      examples: [...trainSet, ...valSet].map((e) => ({ text: e.text, label: e.label })),
    },
  );
  return { manifest, dir: req.out, report: loaded.report, seconds };
}
