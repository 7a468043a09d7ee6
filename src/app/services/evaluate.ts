import { performance } from 'node:perf_hooks';
import { acceptedStats, classificationReport, expectedCalibrationError, riskCoverage, topConfusions, type ClassificationReport } from '../../core/eval/index.js';
import type { RiskCoveragePoint, AcceptedStats, Confusion } from '../../core/eval/index.js';
import type { LabelledText } from '../../core/types.js';
import type { Classifier, Prediction } from './model.js';
import type { Route } from '../../core/routing/policy.js';
import { silentProgress, type ProgressReporter } from './progress.js';

export interface EvaluationReport {
  readonly model: { name: string; createdAt: string; embedder: string; dataHash: string };
  readonly examples: number;
  /** Test labels the model has never seen (always counted wrong). */
  readonly unknownLabels: string[];
  readonly accuracy: number;
  readonly macroF1: number;
  readonly weightedF1: number;
  readonly perIntent: ClassificationReport['perLabel'];
  readonly topConfusions: (Confusion & { examples: string[] })[];
  readonly riskCoverage: RiskCoveragePoint[];
  /** At the bundle's own thresholds. */
  readonly accepted: AcceptedStats & { targetPrecision: number };
  readonly routes: Record<Route, number>;
  /** For a cascade: the share of messages answered by each tier. */
  readonly tierShares?: number[];
  readonly ece: number;
  readonly seconds: number;
}

/** Scores a model on labelled examples: the figures a release decision needs. */
export async function evaluateModel(model: Classifier, examples: readonly LabelledText[], progress: ProgressReporter = silentProgress): Promise<EvaluationReport> {
  const t0 = performance.now();
  const labels = [...model.labels];
  const ids = new Map(labels.map((l, i) => [l, i]));
  const unknown = [...new Set(examples.map((e) => e.label).filter((l) => !ids.has(l)))].sort();
  for (const l of unknown) ids.set(l, labels.push(l) - 1);
  progress.start('evaluating', examples.length);
  let preds: (Prediction & { tier?: number })[];
  try {
    preds = await model.classify(examples.map((e) => e.text), { neighbours: 0, alternatives: 1 }, (d) => progress.update(d));
  } finally {
    progress.stop();
  }
  const yTrue = examples.map((e) => ids.get(e.label)!);
  const yPred = preds.map((p) => ids.get(p.intent)!);
  const correct = preds.map((p, i) => yPred[i] === yTrue[i]);
  const confidence = preds.map((p) => p.confidence);
  const rep = classificationReport(yTrue, yPred, labels);
  const routes: Record<Route, number> = { accepted: 0, llm: 0, review: 0 };
  for (const p of preds) routes[p.route]++;
  const confusions = topConfusions(rep.confusion, labels, 10).map((c) => ({
    ...c,
    examples: examples.filter((e, i) => e.label === c.trueLabel && preds[i].intent === c.predicted).slice(0, 3).map((e) => e.text),
  }));
  const info = model.describe();
  const tiers: number[] = [];
  for (const p of preds) if (p.tier !== undefined) tiers[p.tier] = (tiers[p.tier] ?? 0) + 1;
  return {
    model: { name: info.name, createdAt: info.createdAt, embedder: info.embedder, dataHash: info.dataHash },
    examples: examples.length,
    unknownLabels: unknown,
    accuracy: rep.accuracy,
    macroF1: rep.macroF1,
    weightedF1: rep.weightedF1,
    perIntent: rep.perLabel,
    topConfusions: confusions,
    riskCoverage: riskCoverage(correct, confidence),
    accepted: { ...acceptedStats(correct, preds.map((p) => p.route === 'accepted')), targetPrecision: info.targetPrecision },
    tierShares: tiers.length ? Array.from(tiers, (c) => (c ?? 0) / preds.length) : undefined,
    routes,
    ece: expectedCalibrationError(confidence, correct),
    seconds: (performance.now() - t0) / 1000,
  };
}
