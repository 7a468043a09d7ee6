import { IntentOpsError } from '../errors.js';
import type { LabelMetrics } from './classification.js';
import { mcnemar, type McNemarResult } from './mcnemar.js';

/*
 * Comparing two model versions on the same test set: metric deltas, per-intent deltas and a paired
 * McNemar test on per-example correctness, so "B is better" is a statistical statement and not a
 * reading of two accuracies that differ by noise.
 */

/** What a comparison (and a quality gate) needs from an evaluation report. */
export interface ComparableReport {
  readonly model: { readonly name: string };
  readonly accuracy: number;
  readonly macroF1: number;
  readonly weightedF1: number;
  readonly ece: number;
  readonly aurc: number;
  readonly accepted: { readonly coverage: number; readonly acceptedAccuracy: number | null };
  readonly perIntent: readonly LabelMetrics[];
  /** One character per test example, in data order: '1' = correct, '0' = wrong. */
  readonly correctness: string;
  /** Fingerprint of the test set; two reports are comparable only when it matches. */
  readonly testSetHash: string;
}

export type MetricName = 'accuracy' | 'macroF1' | 'weightedF1' | 'acceptedPrecision' | 'coverage' | 'ece' | 'aurc';

export interface MetricSpec {
  readonly label: string;
  readonly higherIsBetter: boolean;
  /** 'pct': a rate shown in percent, deltas in points; 'abs': shown with three decimals. */
  readonly kind: 'pct' | 'abs';
  readonly get: (r: ComparableReport) => number | null;
}

/** The headline metrics, in display order: name → how to read it and which way is better. */
export const REPORT_METRICS: Readonly<Record<MetricName, MetricSpec>> = Object.freeze({
  accuracy: { label: 'accuracy', higherIsBetter: true, kind: 'pct', get: (r) => r.accuracy },
  macroF1: { label: 'macro-F1', higherIsBetter: true, kind: 'pct', get: (r) => r.macroF1 },
  weightedF1: { label: 'weighted-F1', higherIsBetter: true, kind: 'pct', get: (r) => r.weightedF1 },
  acceptedPrecision: { label: 'accepted precision', higherIsBetter: true, kind: 'pct', get: (r) => r.accepted.acceptedAccuracy },
  coverage: { label: 'coverage', higherIsBetter: true, kind: 'pct', get: (r) => r.accepted.coverage },
  ece: { label: 'ECE', higherIsBetter: false, kind: 'abs', get: (r) => r.ece },
  aurc: { label: 'AURC', higherIsBetter: false, kind: 'abs', get: (r) => r.aurc },
});

export const METRIC_NAMES = Object.freeze(Object.keys(REPORT_METRICS) as MetricName[]);

export interface MetricDelta {
  readonly metric: MetricName;
  readonly a: number | null;
  readonly b: number | null;
  /** b - a; null when either side is undefined (e.g. nothing accepted). */
  readonly delta: number | null;
}

export interface IntentDelta {
  readonly label: string;
  readonly a: LabelMetrics | null;
  readonly b: LabelMetrics | null;
  /** b - a for each figure; null when one model does not know the intent. */
  readonly precision: number | null;
  readonly recall: number | null;
  readonly f1: number | null;
}

export interface Comparison {
  readonly a: string;
  readonly b: string;
  readonly examples: number;
  readonly metrics: MetricDelta[];
  readonly perIntent: IntentDelta[];
  readonly mcnemar: McNemarResult;
  readonly alpha: number;
  readonly significant: boolean;
  /** The model with fewer errors when the difference is significant, else null. */
  readonly better: 'a' | 'b' | null;
  readonly verdict: string;
}

/** Decodes a report's correctness string, checking every character. */
export function correctnessFlags(s: string, where = 'correctness'): boolean[] {
  return Array.from(s, (ch, i) => {
    if (ch !== '0' && ch !== '1') {
      throw new IntentOpsError('invalid_input', `character ${i} of correctness is ${JSON.stringify(ch)}, not 0 or 1`, { where, hint: 'pass the report written by `intentops eval --json` unchanged' });
    }
    return ch === '1';
  });
}

export function formatPct(x: number | null): string {
  return x === null ? '–' : `${(100 * x).toFixed(1)}%`;
}

/** A difference of two rates in percentage points, signed: "+1.2 pts", "−0.4 pts". */
export function formatPts(d: number, digits = 1): string {
  const v = Math.abs(100 * d).toFixed(digits);
  return Number(v) === 0 ? `±${v} pts` : `${d > 0 ? '+' : '−'}${v} pts`;
}

export function formatMetric(kind: 'pct' | 'abs', x: number | null): string {
  return kind === 'pct' ? formatPct(x) : x === null ? '–' : x.toFixed(3);
}

/** A signed difference; `extra` adds decimals (to tell apart two values that would print alike). */
export function formatDelta(kind: 'pct' | 'abs', d: number | null, extra = 0): string {
  if (d === null) return '–';
  if (kind === 'pct') return formatPts(d, 1 + extra);
  const v = Math.abs(d).toFixed(3 + extra);
  return Number(v) === 0 ? `±${v}` : `${d > 0 ? '+' : '−'}${v}`;
}

/**
 * "p = 0.41", "p = 0.039", "p = 0.003", "p < 0.001": two significant digits, three when two would
 * round onto a usual significance level (0.0496 prints as 0.0496, not as a misleading 0.05).
 */
export function formatPValue(p: number): string {
  if (p < 0.001) return 'p < 0.001';
  const two = Number(p.toPrecision(2));
  return `p = ${[0.01, 0.05, 0.1].includes(two) && two !== p ? Number(p.toPrecision(3)) : two}`;
}

function intentDeltas(a: readonly LabelMetrics[], b: readonly LabelMetrics[]): IntentDelta[] {
  const byA = new Map(a.map((m) => [m.label, m]));
  const byB = new Map(b.map((m) => [m.label, m]));
  const labels = [...byA.keys(), ...[...byB.keys()].filter((l) => !byA.has(l))];
  return labels.map((label) => {
    const x = byA.get(label) ?? null;
    const y = byB.get(label) ?? null;
    const d = (k: 'precision' | 'recall' | 'f1') => (x && y ? y[k] - x[k] : null);
    return { label, a: x, b: y, precision: d('precision'), recall: d('recall'), f1: d('f1') };
  });
}

/**
 * Compares report B against report A on the same test set: metric and per-intent deltas (B - A)
 * and McNemar's paired test at level `alpha`, summed up in one verdict sentence.
 *
 * @example
 * compareReports(champion, challenger).verdict
 * // 'B (challenger) is better than A (champion): +1.2 pts accuracy, McNemar p = 0.003'
 */
export function compareReports(a: ComparableReport, b: ComparableReport, alpha = 0.05): Comparison {
  if (!(alpha > 0 && alpha < 1)) throw new IntentOpsError('invalid_input', `alpha = ${alpha} is outside (0, 1)`, { where: 'compareReports(alpha)', hint: 'use a significance level such as 0.05' });
  if (a.testSetHash !== b.testSetHash || a.correctness.length !== b.correctness.length) {
    throw new IntentOpsError('invalid_input', `the two reports were not computed on the same test set (${a.correctness.length} vs ${b.correctness.length} examples)`, {
      where: `compareReports(${a.model.name}, ${b.model.name})`,
      hint: 'evaluate both models on the same data file',
    });
  }
  const test = mcnemar(correctnessFlags(a.correctness, `${a.model.name}.correctness`), correctnessFlags(b.correctness, `${b.model.name}.correctness`));
  const n = a.correctness.length;
  const significant = test.pValue < alpha;
  const better = !significant ? null : test.b01 > test.b10 ? 'b' : 'a';
  // (b01 - b10) / n is exactly B's accuracy minus A's on these examples
  const gain = formatPts((test.b01 - test.b10) / n);
  const A = `A (${a.model.name})`;
  const B = `B (${b.model.name})`;
  const verdict =
    better === 'b'
      ? `${B} is better than ${A}: ${gain} accuracy, McNemar ${formatPValue(test.pValue)}`
      : better === 'a'
        ? `${B} is worse than ${A}: ${gain} accuracy, McNemar ${formatPValue(test.pValue)}`
        : `no significant difference between ${A} and ${B} (${formatPValue(test.pValue)}, ${gain} accuracy, α = ${alpha})`;
  const metrics = METRIC_NAMES.map((metric): MetricDelta => {
    const x = REPORT_METRICS[metric].get(a);
    const y = REPORT_METRICS[metric].get(b);
    return { metric, a: x, b: y, delta: x === null || y === null ? null : y - x };
  });
  return { a: a.model.name, b: b.model.name, examples: n, metrics, perIntent: intentDeltas(a.perIntent, b.perIntent), mcnemar: test, alpha, significant, better, verdict };
}
