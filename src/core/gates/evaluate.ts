import { compareReports, formatDelta, formatMetric, formatPValue, formatPct, METRIC_NAMES, REPORT_METRICS, type ComparableReport, type Comparison } from '../eval/compare.js';
import type { Gates } from './schema.js';

export interface GateResult {
  /** Gate id as written in the gates file, e.g. `minAccuracy`, `maxRegression.macroF1`, `minIntentRecall[refund]`. */
  readonly gate: string;
  readonly passed: boolean;
  /** The gate could not apply (a baseline gate without a baseline); counted as passed. */
  readonly skipped: boolean;
  /** The measured value (for regressions: how much worse than the baseline, negative = better; for McNemar: p). */
  readonly actual: number | null;
  readonly limit: number;
  readonly message: string;
}

export interface GateOutcome {
  readonly passed: boolean;
  readonly results: GateResult[];
  readonly failed: GateResult[];
  readonly summary: string;
  /** The paired comparison against the baseline, when there was one. */
  readonly comparison?: Comparison;
}

/** Rounding slack: a metric equal to its limit passes even after floating-point noise. */
const EPS = 1e-12;

type Result = Omit<GateResult, 'skipped'> & { skipped?: boolean };

function minimum(gate: string, label: string, actual: number | null, limit: number): Result {
  if (actual === null) return { gate, passed: false, actual, limit, message: `${label} is undefined: no message was accepted at the bundle's thresholds` };
  const passed = actual >= limit - EPS;
  return { gate, passed, actual, limit, message: passed ? `${label} ${formatPct(actual)} meets the minimum ${formatPct(limit)}` : `${label} ${formatPct(actual)} is below the minimum ${formatPct(limit)}` };
}

function intentRecall(g: NonNullable<Gates['minIntentRecall']>, c: ComparableReport): Result[] {
  const out: Result[] = [];
  const overrides = g.intents ?? {};
  const byLabel = new Map(c.perIntent.map((m) => [m.label, m]));
  for (const m of c.perIntent) {
    const limit = overrides[m.label] ?? g.default;
    if (limit === undefined || m.support === 0) continue;
    const r = minimum(`minIntentRecall[${m.label}]`, `recall of intent "${m.label}"`, m.recall, limit);
    out.push({ ...r, message: `${r.message} (${Math.round(m.recall * m.support)} of ${m.support} found)` });
  }
  for (const [label, limit] of Object.entries(overrides)) {
    if ((byLabel.get(label)?.support ?? 0) > 0) continue;
    const why = byLabel.has(label) ? 'has no examples in the test data' : 'is not an intent of the model or the test data';
    out.push({ gate: `minIntentRecall[${label}]`, passed: false, actual: null, limit, message: `intent "${label}" ${why}, so its recall cannot be checked` });
  }
  return out;
}

function regressions(g: NonNullable<Gates['maxRegression']>, c: ComparableReport, b: ComparableReport | undefined): Result[] {
  const out: Result[] = [];
  for (const metric of METRIC_NAMES) {
    const limit = g[metric];
    if (limit === undefined) continue;
    const spec = REPORT_METRICS[metric];
    const gate = `maxRegression.${metric}`;
    if (!b) {
      out.push({ gate, passed: true, skipped: true, actual: null, limit, message: `skipped: no baseline to compare ${spec.label} with` });
      continue;
    }
    const now = spec.get(c);
    const before = spec.get(b);
    if (now === null || before === null) {
      const passed = now !== null;
      out.push({ gate, passed, actual: null, limit, message: passed ? `the baseline's ${spec.label} is undefined (nothing accepted): no regression possible` : `the candidate's ${spec.label} is undefined: it accepts no message at its thresholds` });
      continue;
    }
    const worse = spec.higherIsBetter ? before - now : now - before;
    const passed = worse <= limit + EPS;
    const change = `${formatMetric(spec.kind, before)} → ${formatMetric(spec.kind, now)}`;
    const unsigned = (d: number, extra: number) => formatDelta(spec.kind, Math.abs(d), extra).replace(/^[+±]/, '');
    // enough decimals that a failing drop never prints the same as its allowance
    let extra = 0;
    while (!passed && extra < 3 && unsigned(worse, extra) === unsigned(limit, extra)) extra++;
    const allowed = unsigned(limit, extra);
    const verb = spec.higherIsBetter ? 'fell' : 'rose';
    out.push({
      gate,
      passed,
      actual: worse,
      limit,
      message: passed
        ? `${spec.label} changed ${formatDelta(spec.kind, now - before)} (${change}), within the allowed ${allowed}`
        : `${spec.label} ${verb} ${unsigned(now - before, extra)} (${change}), more than the allowed ${allowed}`,
    });
  }
  return out;
}

function significance(cmp: Comparison | undefined, alpha: number): Result {
  const gate = 'noSignificantRegression';
  if (!cmp) return { gate, passed: true, skipped: true, actual: null, limit: alpha, message: 'skipped: no baseline to test against' };
  const p = cmp.mcnemar.pValue;
  const counts = `${cmp.mcnemar.b10} example${cmp.mcnemar.b10 === 1 ? '' : 's'} only the baseline got right, ${cmp.mcnemar.b01} only the candidate`;
  if (cmp.better === 'a') return { gate, passed: false, actual: p, limit: alpha, message: `the candidate makes significantly more errors than the baseline (McNemar ${formatPValue(p)} < α = ${alpha}; ${counts})` };
  const how = cmp.better === 'b' ? 'the candidate is significantly better' : 'no significant difference';
  return { gate, passed: true, actual: p, limit: alpha, message: `${how} (McNemar ${formatPValue(p)}, α = ${alpha}; ${counts})` };
}

/**
 * Checks a candidate's evaluation report against the gates, and against a baseline's report on
 * the same test set for the regression gates. Pure: both reports are computed by the caller.
 *
 * @example
 * evaluateGates({ minAccuracy: 0.9, alpha: 0.05 }, report).failed[0]?.message
 * // 'accuracy 88.0% is below the minimum 90.0%'
 */
export function evaluateGates(gates: Gates, candidate: ComparableReport, baseline?: ComparableReport): GateOutcome {
  const comparison = baseline ? compareReports(baseline, candidate, gates.alpha) : undefined;
  const rs: Result[] = [];
  if (gates.minAccuracy !== undefined) rs.push(minimum('minAccuracy', 'accuracy', candidate.accuracy, gates.minAccuracy));
  if (gates.minMacroF1 !== undefined) rs.push(minimum('minMacroF1', 'macro-F1', candidate.macroF1, gates.minMacroF1));
  if (gates.minAcceptedPrecision !== undefined) rs.push(minimum('minAcceptedPrecision', 'accepted precision', candidate.accepted.acceptedAccuracy, gates.minAcceptedPrecision));
  if (gates.minCoverage !== undefined) rs.push(minimum('minCoverage', 'coverage', candidate.accepted.coverage, gates.minCoverage));
  if (gates.maxEce !== undefined) {
    const passed = candidate.ece <= gates.maxEce + EPS;
    const e = (x: number) => x.toFixed(3);
    rs.push({ gate: 'maxEce', passed, actual: candidate.ece, limit: gates.maxEce, message: passed ? `ECE ${e(candidate.ece)} is within the maximum ${e(gates.maxEce)}` : `ECE ${e(candidate.ece)} is above the maximum ${e(gates.maxEce)}` });
  }
  if (gates.minIntentRecall) rs.push(...intentRecall(gates.minIntentRecall, candidate));
  if (gates.maxRegression) rs.push(...regressions(gates.maxRegression, candidate, baseline));
  if (gates.noSignificantRegression) rs.push(significance(comparison, gates.alpha));
  const results: GateResult[] = rs.map((r) => ({ ...r, skipped: r.skipped ?? false }));
  const failed = results.filter((r) => !r.passed);
  const skipped = results.filter((r) => r.skipped).length;
  const note = skipped ? ` (${skipped} skipped: no baseline)` : '';
  const summary = failed.length
    ? `${failed.length} of ${results.length} gates failed${note}: ${failed.map((f) => f.gate).join(', ')}`
    : `all ${results.length} gates passed${note}`;
  return { passed: failed.length === 0, results, failed, summary, ...(comparison ? { comparison } : {}) };
}
