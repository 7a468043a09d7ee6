import { classificationReport, topConfusions } from './classification.js';
import { mcnemarExact, type ExactMcNemarResult } from './mcnemar-exact.js';
import { percentile } from './stats.js';

/*
 * Figures of an LLM variant evaluated on labelled messages (`intentops llm eval`). Pure: the
 * caller classifies the rows with the local model, asks the LLM about the slice and passes the
 * outcomes here.
 */

/** The label a correct answer gives a message of an intent the local model does not know (or an out-of-scope label). */
export const NONE_LABEL = 'none';
/** The predicted label of an unusable or failed LLM answer in confusions. */
export const INVALID_LABEL = '(invalid)';

/** What the LLM made of one message. Cost is computed by the caller from the variant's price. */
export type LlmOutcome =
  | { readonly kind: 'answer'; readonly intent: string | null; readonly promptTokens: number; readonly completionTokens: number; readonly costUsd: number; readonly latencyMs: number }
  /** The model answered, but not one intent (malformed, out of set, refused): paid for, counted as wrong. */
  | { readonly kind: 'invalid'; readonly promptTokens: number; readonly completionTokens: number; readonly costUsd: number; readonly latencyMs: number }
  /** No answer (server errors after retries, timeout): counted as wrong, not paid. */
  | { readonly kind: 'failed'; readonly latencyMs: number };

export interface LlmEvalRow {
  readonly text: string;
  /** The label in the data. */
  readonly truth: string;
  /** Whether `truth` is one of the local model's intents (and not an out-of-scope label): else the right answer is `none`. */
  readonly known: boolean;
  /** Whether the message is in the slice sent to the LLM. */
  readonly inSlice: boolean;
  /** The local model's answer (used for rows outside the slice); `outOfScope` answers count as `none`. */
  readonly local: { readonly intent: string; readonly outOfScope: boolean };
}

export interface LlmVariantMetrics {
  /** Slice rows the LLM answered (or failed on) in this run; fewer than `sliceSize` when the run stopped early. */
  readonly evaluated: number;
  readonly sliceSize: number;
  readonly partial: boolean;
  readonly sliceAccuracy: number | null;
  readonly sliceMacroF1: number | null;
  /** Local answers outside the slice + LLM answers on the evaluated slice rows, over both. */
  readonly endToEndAccuracy: number | null;
  /** Share of `none` answers among evaluated slice rows whose label the local model does not know; null without any. */
  readonly noneRateUnknown: number | null;
  readonly unknownRows: number;
  /** Share of `none` answers among evaluated slice rows of known intents. */
  readonly falseNoneRate: number | null;
  readonly invalidRate: number | null;
  readonly failedRate: number | null;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly costUsd: number;
  /** Cost per 1,000 LLM calls. */
  readonly costPer1kCalls: number | null;
  /** Cost per 1,000 messages of the traffic (rows outside the slice cost nothing): what the fallback costs per 1,000 messages served. */
  readonly costPer1k: number | null;
  readonly latencyP50Ms: number | null;
  readonly latencyP95Ms: number | null;
  /** The most frequent (true → predicted) mistakes on the slice, with one example message each. */
  readonly confusions: { readonly trueLabel: string; readonly predicted: string; readonly count: number; readonly example: string }[];
}

/** Whether an answer is right: the true intent, or `none` (or an out-of-scope label) for a message of an unknown intent. */
export function answerCorrect(row: Pick<LlmEvalRow, 'truth' | 'known'>, o: LlmOutcome | undefined, outOfScopeLabels: readonly string[] = []): boolean {
  if (!o || o.kind !== 'answer') return false;
  const none = o.intent === null || outOfScopeLabels.includes(o.intent);
  return row.known ? !none && o.intent === row.truth : none;
}

function localCorrect(row: LlmEvalRow): boolean {
  return row.known ? !row.local.outOfScope && row.local.intent === row.truth : row.local.outOfScope;
}

function predictedLabel(o: LlmOutcome, outOfScopeLabels: readonly string[]): string {
  if (o.kind !== 'answer') return INVALID_LABEL;
  return o.intent === null || outOfScopeLabels.includes(o.intent) ? NONE_LABEL : o.intent;
}

const share = (num: number, den: number) => (den === 0 ? null : num / den);

/**
 * A variant's figures. `outcomes[i]` is the LLM's outcome for `rows[i]` (undefined for rows
 * outside the slice, and for slice rows not reached when the run stopped early).
 *
 * @example
 * llmVariantMetrics(rows, outcomes, ['oos']).sliceAccuracy
 */
export function llmVariantMetrics(rows: readonly LlmEvalRow[], outcomes: readonly (LlmOutcome | undefined)[], outOfScopeLabels: readonly string[] = [], topN = 5): LlmVariantMetrics {
  const slice = rows.map((r, i) => ({ r, o: outcomes[i] })).filter((x) => x.r.inSlice);
  const done = slice.filter((x): x is { r: LlmEvalRow; o: LlmOutcome } => x.o !== undefined);
  const outside = rows.filter((r) => !r.inSlice);
  const correct = done.filter((x) => answerCorrect(x.r, x.o, outOfScopeLabels)).length;
  const isNone = (o: LlmOutcome) => o.kind === 'answer' && (o.intent === null || outOfScopeLabels.includes(o.intent));
  const unknown = done.filter((x) => !x.r.known);
  const known = done.filter((x) => x.r.known);
  const paid = done.map((x) => x.o).filter((o): o is Exclude<LlmOutcome, { kind: 'failed' }> => o.kind !== 'failed');
  const costUsd = paid.reduce((s, o) => s + o.costUsd, 0);
  const latencies = done.map((x) => x.o.latencyMs);
  const traffic = outside.length + done.length;

  let sliceMacroF1: number | null = null;
  let confusions: LlmVariantMetrics['confusions'] = [];
  if (done.length) {
    const truthOf = (r: LlmEvalRow) => (r.known ? r.truth : NONE_LABEL);
    const labels = [...new Set([...done.map((x) => truthOf(x.r)), ...done.map((x) => predictedLabel(x.o, outOfScopeLabels))])].sort();
    const id = new Map(labels.map((l, i) => [l, i]));
    const yTrue = done.map((x) => id.get(truthOf(x.r))!);
    const yPred = done.map((x) => id.get(predictedLabel(x.o, outOfScopeLabels))!);
    const report = classificationReport(yTrue, yPred, labels);
    sliceMacroF1 = report.macroF1;
    confusions = topConfusions(report.confusion, labels, topN).map((c) => ({
      ...c,
      example: done.find((x) => truthOf(x.r) === c.trueLabel && predictedLabel(x.o, outOfScopeLabels) === c.predicted)!.r.text,
    }));
  }
  return {
    evaluated: done.length,
    sliceSize: slice.length,
    partial: done.length < slice.length,
    sliceAccuracy: share(correct, done.length),
    sliceMacroF1,
    endToEndAccuracy: share(outside.filter(localCorrect).length + correct, traffic),
    noneRateUnknown: share(unknown.filter((x) => isNone(x.o)).length, unknown.length),
    unknownRows: unknown.length,
    falseNoneRate: share(known.filter((x) => isNone(x.o)).length, known.length),
    invalidRate: share(done.filter((x) => x.o.kind === 'invalid').length, done.length),
    failedRate: share(done.filter((x) => x.o.kind === 'failed').length, done.length),
    promptTokens: paid.reduce((s, o) => s + o.promptTokens, 0),
    completionTokens: paid.reduce((s, o) => s + o.completionTokens, 0),
    costUsd,
    costPer1kCalls: done.length ? (1000 * costUsd) / done.length : null,
    costPer1k: traffic ? (1000 * costUsd) / traffic : null,
    latencyP50Ms: latencies.length ? percentile(latencies, 50) : null,
    latencyP95Ms: latencies.length ? percentile(latencies, 95) : null,
    confusions,
  };
}

/**
 * McNemar's exact test of a challenger against the champion on the slice rows both evaluated.
 * Null when they share no evaluated row.
 */
export function llmMcNemar(
  rows: readonly LlmEvalRow[],
  champion: readonly (LlmOutcome | undefined)[],
  challenger: readonly (LlmOutcome | undefined)[],
  outOfScopeLabels: readonly string[] = [],
): (ExactMcNemarResult & { readonly n: number }) | null {
  const both = rows.map((r, i) => i).filter((i) => rows[i].inSlice && champion[i] !== undefined && challenger[i] !== undefined);
  if (!both.length) return null;
  const a = both.map((i) => answerCorrect(rows[i], champion[i], outOfScopeLabels));
  const b = both.map((i) => answerCorrect(rows[i], challenger[i], outOfScopeLabels));
  return { ...mcnemarExact(a, b), n: both.length };
}
