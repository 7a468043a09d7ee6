import { performance } from 'node:perf_hooks';
import { dataHash } from '../../core/dataset/hash.js';
import { IntentOpsError } from '../../core/errors.js';
import {
  acceptedStats,
  aurc,
  classificationReport,
  expectedCalibrationError,
  reliabilityDiagram,
  riskCoverage,
  riskCoverageCurve,
  summarizeLatencies,
  topConfusions,
  type ClassificationReport,
} from '../../core/eval/index.js';
import type { AcceptedStats, Confusion, LatencySummary, ReliabilityBin, RiskCoveragePoint, RiskCurvePoint } from '../../core/eval/index.js';
import { compareReports, type Comparison } from '../../core/eval/compare.js';
import { wilsonInterval } from '../../core/eval/bounds.js';
import type { Route } from '../../core/routing/policy.js';
import type { LabelledText } from '../../core/types.js';
import type { Classifier, Prediction } from '../classify/model.js';
import { silentProgress, type ProgressReporter } from './progress.js';

/** List prices of one LLM, in `currency` per million tokens. */
export interface LlmPrice {
  readonly model: string;
  readonly inputPer1M: number;
  readonly outputPer1M: number;
  readonly currency: string;
}

/** Tokens one fallback call is assumed to use. */
export interface LlmTokens {
  readonly prompt: number;
  readonly completion: number;
}

export const DEFAULT_LLM_PRICE: LlmPrice = Object.freeze({ model: 'gpt-4o-mini', inputPer1M: 0.15, outputPer1M: 0.6, currency: 'USD' });
/** A classification prompt with the intent list and a few neighbours, answered with one label. */
export const DEFAULT_LLM_TOKENS: LlmTokens = Object.freeze({ prompt: 600, completion: 10 });

export interface LlmProjection {
  readonly price: LlmPrice;
  readonly tokens: LlmTokens;
  readonly costPerCall: number;
  /** Share of messages not accepted at the bundle's thresholds (routed to the LLM or to review). */
  readonly fallbackShare: number;
  readonly callsPer1k: number;
  readonly costPer1k: number;
  /** For scale: the cost of sending every message to the LLM. */
  readonly allLlmCostPer1k: number;
  readonly assumption: string;
}

export interface LatencyReport extends LatencySummary {
  /** Milliseconds per message; see `method`. */
  readonly unit: 'ms/message';
  readonly batchSize: number;
  readonly batches: number;
  readonly method: string;
}

export interface EvaluationReport {
  readonly model: { name: string; createdAt: string; embedder: string; dataHash: string };
  readonly evaluatedAt: string;
  readonly examples: number;
  /** Fingerprint (SHA-256) of the test examples in order: reports are comparable only when it matches. */
  readonly testSetHash: string;
  /** Test labels the model has never seen (always counted wrong). */
  readonly unknownLabels: string[];
  readonly accuracy: number;
  readonly macroF1: number;
  readonly weightedF1: number;
  readonly perIntent: ClassificationReport['perLabel'];
  readonly topConfusions: (Confusion & { examples: string[] })[];
  readonly riskCoverage: RiskCoveragePoint[];
  /** Up to 50 points of the risk–coverage curve, for plotting. */
  readonly riskCoverageCurve: RiskCurvePoint[];
  /** Area under the risk–coverage curve: lower is better. */
  readonly aurc: number;
  /** At the bundle's own thresholds. */
  readonly accepted: AcceptedStats & { targetPrecision: number };
  readonly routes: Record<Route, number>;
  /** For a cascade: the share of messages answered by each tier. */
  readonly tierShares?: number[];
  /** Expected calibration error over the 15 equal-width bins of `reliability`. */
  readonly ece: number;
  readonly reliability: ReliabilityBin[];
  readonly llm: LlmProjection;
  readonly latency: LatencyReport;
  /** One character per test example, in data order: '1' = correct, '0' = wrong (for paired tests). */
  readonly correctness: string;
  /**
   * The open-set view (when the test has labels the model does not know, or the model has an
   * out-of-scope detector): unknown-label and out-of-scope-labelled messages form one "open"
   * class, right when answered as out of scope; the others are right when given their intent and
   * not flagged. As in the ADB protocol: accuracy over all messages, macro-F1 over the known
   * intents plus the open class.
   */
  readonly openSet?: OpenSetFigures;
  /** What the bundle promised on accepted messages and what this test delivered (Wilson interval). */
  readonly promise: { target: number; promisedBound: number | null; delivered: number; lower: number; upper: number; accepted: number; kept: boolean | null };
  /**
   * The same test with the out-of-scope thresholds for the unknown share estimated from the test
   * messages themselves (no labels: what serving does over its window), when the model has a detector.
   */
  readonly adapted?: { unknownShare: number; accepted: AcceptedStats; openSet: OpenSetFigures };
  readonly seconds: number;
}

export interface OpenSetFigures {
  readonly unknownExamples: number;
  /** Unknown messages answered as out of scope. */
  readonly unknownRecall: number;
  /** Known-intent messages wrongly answered as out of scope. */
  readonly knownFlagged: number;
  readonly accuracy: number;
  readonly macroF1: number;
  /** The unknown share the thresholds assumed. */
  readonly unknownShare: number | null;
}

export interface EvaluateOptions {
  readonly price?: LlmPrice;
  readonly tokens?: LlmTokens;
  /** Messages per timed batch; default: enough batches for stable percentiles (1..32 per batch). */
  readonly batchSize?: number;
  /** Injected clock for `evaluatedAt` (tests pin it). */
  readonly now?: () => Date;
}

const CALIBRATION_BINS = 15;
const CURVE_POINTS = 50;

/**
 * Projected LLM fallback volume and cost per 1,000 messages: every message not accepted at the
 * bundle's thresholds costs one call of `tokens` at `price`; accepted ones cost nothing.
 *
 * @example
 * projectLlmCost(0.3).costPer1k // 300 calls × (600 × 0.15 + 10 × 0.60) / 1e6 = 0.0288 USD
 */
export function projectLlmCost(fallbackShare: number, price: LlmPrice = DEFAULT_LLM_PRICE, tokens: LlmTokens = DEFAULT_LLM_TOKENS): LlmProjection {
  for (const [k, v] of Object.entries({ inputPer1M: price.inputPer1M, outputPer1M: price.outputPer1M, prompt: tokens.prompt, completion: tokens.completion })) {
    if (!(Number.isFinite(v) && v >= 0)) throw new IntentOpsError('invalid_input', `${k} = ${v} is not a non-negative number`, { where: `llm price (${k})`, hint: 'prices are per 1M tokens, token counts per call, e.g. --llm-price 0.15,0.60 --llm-tokens 600,10' });
  }
  const costPerCall = (tokens.prompt * price.inputPer1M + tokens.completion * price.outputPer1M) / 1e6;
  return {
    price,
    tokens,
    costPerCall,
    fallbackShare,
    callsPer1k: 1000 * fallbackShare,
    costPer1k: 1000 * fallbackShare * costPerCall,
    allLlmCostPer1k: 1000 * costPerCall,
    assumption:
      `Every message not accepted at the bundle's thresholds (routed to the LLM or to review) is counted as one LLM call of ` +
      `~${tokens.prompt} prompt + ${tokens.completion} completion tokens at ${price.model} prices (${price.inputPer1M} / ${price.outputPer1M} ${price.currency} ` +
      `per 1M input / output tokens); accepted messages cost nothing. Embedding cost, retries, caching and review work are not included.`,
  };
}

function defaultBatchSize(n: number): number {
  return Math.min(32, Math.max(1, Math.ceil(n / 50)));
}

/** Classifies in batches, timing each; one latency sample per batch = its wall time / its size. */
async function timedClassify(model: Classifier, texts: readonly string[], batchSize: number, progress: ProgressReporter) {
  const preds: (Prediction & { tier?: number })[] = [];
  const perMessageMs: number[] = [];
  progress.start('evaluating', texts.length);
  try {
    for (let i = 0; i < texts.length; i += batchSize) {
      const batch = texts.slice(i, i + batchSize);
      const t = performance.now();
      preds.push(...(await model.classify(batch, { neighbours: 0, alternatives: 1 })));
      perMessageMs.push((performance.now() - t) / batch.length);
      progress.update(preds.length);
    }
  } finally {
    progress.stop();
  }
  const latency: LatencyReport = {
    ...summarizeLatencies(perMessageMs),
    unit: 'ms/message',
    batchSize,
    batches: perMessageMs.length,
    method:
      `Test messages were classified in ${perMessageMs.length} sequential batches of up to ${batchSize} (embedding + scoring + routing, in process); ` +
      `each batch's wall time divided by its size is one sample. Batching averages within a batch, so single-request tails can be higher; network and queueing are not included.`,
  };
  return { preds, latency };
}

/** Scores a model on labelled examples: the figures a release decision needs. */
export async function evaluateModel(model: Classifier, examples: readonly LabelledText[], progress: ProgressReporter = silentProgress, opts: EvaluateOptions = {}): Promise<EvaluationReport> {
  if (examples.length === 0) throw new IntentOpsError('invalid_input', 'no test examples', { where: 'evaluateModel', hint: 'pass a labelled test file with at least one row' });
  const batchSize = opts.batchSize ?? defaultBatchSize(examples.length);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new IntentOpsError('invalid_input', `batchSize = ${batchSize} is not a positive integer`, { where: 'evaluateModel(batchSize)' });
  const llmCost = (share: number) => projectLlmCost(share, opts.price, opts.tokens);
  llmCost(0); // validate prices before the (possibly slow) run
  const t0 = performance.now();
  const labels = [...model.labels];
  const ids = new Map(labels.map((l, i) => [l, i]));
  const unknown = [...new Set(examples.map((e) => e.label).filter((l) => !ids.has(l)))].sort();
  for (const l of unknown) ids.set(l, labels.push(l) - 1);
  const { preds, latency } = await timedClassify(model, examples.map((e) => e.text), batchSize, progress);
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
  const accepted = acceptedStats(correct, preds.map((p) => p.route === 'accepted'));
  const det = detecting(model);
  const oosLabels = new Set(det?.manifest.outOfScopeLabels ?? []);
  const isUnknown = examples.map((e) => !model.labels.includes(e.label) || oosLabels.has(e.label));
  const openSetWanted = unknown.length > 0 || det !== undefined;
  const openSetOf = (ps: readonly Prediction[]): OpenSetFigures => {
    const open = labels.length;
    const yT = examples.map((e, i) => (isUnknown[i] ? open : ids.get(e.label)!));
    const yP = ps.map((p) => (p.outOfScope ? open : ids.get(p.intent)!));
    const rep = classificationReport(yT, yP, [...labels, '(open)']);
    const nU = isUnknown.filter(Boolean).length;
    const flaggedU = ps.filter((p, i) => isUnknown[i] && p.outOfScope).length;
    const flaggedK = ps.filter((p, i) => !isUnknown[i] && p.outOfScope).length;
    return { unknownExamples: nU, unknownRecall: nU ? flaggedU / nU : Number.NaN, knownFlagged: examples.length - nU ? flaggedK / (examples.length - nU) : Number.NaN, accuracy: rep.accuracy, macroF1: rep.macroF1, unknownShare: det ? det.unknownShare : null };
  };
  // accepted precision under an unknown share estimated from the test messages' own scores
  let adapted: EvaluationReport['adapted'];
  if (det) {
    const before = det.unknownShare;
    const share = det.estimateUnknownShare(preds.map((p) => p.novelty ?? 0));
    if (share !== null) {
      det.setUnknownShare(share);
      try {
        const again = await model.classify(examples.map((e) => e.text), { neighbours: 0, alternatives: 1 });
        const ok = again.map((p, i) => ids.get(p.intent) === yTrue[i]);
        adapted = { unknownShare: det.unknownShare, accepted: acceptedStats(ok, again.map((p) => p.route === 'accepted')), openSet: openSetOf(again) };
      } finally {
        det.setUnknownShare(before);
      }
    }
  }
  // what acceptedStats counted: the accepted messages and how many of them were right
  const promiseOf = (a: AcceptedStats): EvaluationReport['promise'] => {
    const right = Math.round((a.acceptedAccuracy ?? 0) * a.accepted);
    const w = wilsonInterval(right, a.accepted, 0.95);
    const bound = det?.manifest.routing.precisionBound ?? null;
    return { target: info.targetPrecision, promisedBound: bound, delivered: a.acceptedAccuracy ?? Number.NaN, lower: w.lower, upper: w.upper, accepted: a.accepted, kept: a.accepted ? w.upper >= info.targetPrecision : null };
  };
  return {
    model: { name: info.name, createdAt: info.createdAt, embedder: info.embedder, dataHash: info.dataHash },
    evaluatedAt: (opts.now ?? (() => new Date()))().toISOString(),
    examples: examples.length,
    testSetHash: dataHash(examples),
    unknownLabels: unknown,
    accuracy: rep.accuracy,
    macroF1: rep.macroF1,
    weightedF1: rep.weightedF1,
    perIntent: rep.perLabel,
    topConfusions: confusions,
    riskCoverage: riskCoverage(correct, confidence, [1, 0.95, 0.9, 0.85, 0.8, 0.7]),
    riskCoverageCurve: riskCoverageCurve(correct, confidence, CURVE_POINTS),
    aurc: aurc(correct, confidence),
    accepted: { ...accepted, targetPrecision: info.targetPrecision },
    tierShares: tiers.length ? Array.from(tiers, (c) => (c ?? 0) / preds.length) : undefined,
    routes,
    ece: expectedCalibrationError(confidence, correct, CALIBRATION_BINS),
    reliability: reliabilityDiagram(confidence, correct, CALIBRATION_BINS),
    llm: llmCost(1 - accepted.coverage),
    latency,
    correctness: correct.map((c) => (c ? '1' : '0')).join(''),
    ...(openSetWanted ? { openSet: openSetOf(preds) } : {}),
    promise: promiseOf(accepted),
    ...(adapted ? { adapted } : {}),
    seconds: (performance.now() - t0) / 1000,
  };
}

/** The wanted parts of a Classifier that has an out-of-scope detector (IntentModel). */
interface Detecting {
  readonly detectsNovelty: boolean;
  readonly unknownShare: number;
  setUnknownShare(s: number): unknown;
  estimateUnknownShare(scores: readonly number[]): number | null;
  readonly manifest: { routing: { precisionBound?: number }; outOfScopeLabels: string[] };
}

function detecting(m: Classifier): Detecting | undefined {
  const d = m as unknown as Partial<Detecting>;
  return d.detectsNovelty ? (d as Detecting) : undefined;
}

/** Evaluates two models on the same examples and compares B against A (McNemar at `alpha`). */
export async function evaluatePair(
  a: Classifier,
  b: Classifier,
  examples: readonly LabelledText[],
  opts: EvaluateOptions & { alpha?: number; progress?: ProgressReporter } = {},
): Promise<{ a: EvaluationReport; b: EvaluationReport; comparison: Comparison }> {
  const ra = await evaluateModel(a, examples, opts.progress, opts);
  const rb = await evaluateModel(b, examples, opts.progress, opts);
  return { a: ra, b: rb, comparison: compareReports(ra, rb, opts.alpha) };
}
