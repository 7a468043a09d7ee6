import { formatDelta, formatMetric, formatPct, formatPts, REPORT_METRICS, type Comparison } from '../../core/eval/compare.js';
import type { GateOutcome } from '../../core/gates/index.js';
import type { EvaluationReport } from '../services/evaluate.js';
import { escapeHtml as esc, formatMoney, formatMs } from './escape.js';
import { barChart, COLORS, deltaChart, reliabilityChart, riskCoverageChart, type Series } from './svg.js';

/** Sections of the HTML report. Every value that came from data or a user goes through esc(). */

/** A table; cells are already-escaped HTML, columns listed in `num` are right-aligned. */
function table(head: readonly string[], rows: readonly (readonly string[])[], num: readonly number[] = []): string {
  const cls = (i: number) => (num.includes(i) ? ' class="num"' : '');
  const th = head.map((h, i) => `<th${cls(i)}>${esc(h)}</th>`).join('');
  const tr = rows.map((r) => `<tr>${r.map((cell, i) => `<td${cls(i)}>${cell}</td>`).join('')}</tr>`).join('');
  return `<table><thead><tr>${th}</tr></thead><tbody>${tr}</tbody></table>`;
}

const section = (id: string, title: string, body: string) => `<section id="${id}"><h2>${esc(title)}</h2>${body}</section>`;

export function headerSection(r: EvaluationReport): string {
  const m = r.model;
  return (
    `<header><h1>Evaluation report: ${esc(m.name)}</h1>` +
    `<p class="meta">embedder ${esc(m.embedder)} · model created ${esc(m.createdAt)} · ${r.examples} test examples ` +
    `(test set ${esc(r.testSetHash.slice(0, 12))}) · evaluated ${esc(r.evaluatedAt)}</p></header>`
  );
}

export function gatesSection(g: GateOutcome): string {
  const rows = [...g.failed, ...g.results.filter((x) => x.passed)].map((x) => [
    `<span class="${x.skipped ? 'skip' : x.passed ? 'pass' : 'fail'}">${x.skipped ? 'SKIP' : x.passed ? 'PASS' : 'FAIL'}</span>`,
    esc(x.gate),
    esc(x.actual === null ? '–' : x.actual.toFixed(4)),
    esc(x.limit.toFixed(4)),
    esc(x.message),
  ]);
  const head = `<p class="verdict ${g.passed ? 'pass' : 'fail'}">${g.passed ? 'Quality gates passed' : 'Quality gates failed'}: ${esc(g.summary)}</p>`;
  return section('gates', 'Quality gates', head + table(['', 'gate', 'actual', 'limit', 'reason'], rows, [2, 3]));
}

export function comparisonSection(cmp: Comparison): string {
  const metrics = cmp.metrics.map((d) => {
    const k = REPORT_METRICS[d.metric].kind;
    return [esc(REPORT_METRICS[d.metric].label), esc(formatMetric(k, d.a)), esc(formatMetric(k, d.b)), esc(formatDelta(k, d.delta))];
  });
  const shared = cmp.perIntent.filter((d) => d.f1 !== null);
  const chart = deltaChart(
    'chart-compare-f1',
    'Per-intent F1 change (B − A)',
    shared.map((d) => ({ label: d.label, value: d.f1!, text: formatPts(d.f1!), tip: `${d.label}: F1 ${formatPct(d.a!.f1)} → ${formatPct(d.b!.f1)}` })),
  );
  const intents = cmp.perIntent.map((d) => [esc(d.label), esc(formatDelta('pct', d.precision)), esc(formatDelta('pct', d.recall)), esc(formatDelta('pct', d.f1)), String(d.b?.support ?? d.a?.support ?? 0)]);
  const t = cmp.mcnemar;
  const body =
    `<p class="verdict ${cmp.better === 'a' ? 'fail' : cmp.better === 'b' ? 'pass' : ''}">${esc(cmp.verdict)}</p>` +
    `<p>A = ${esc(cmp.a)}, B = ${esc(cmp.b)}, on the same ${cmp.examples} examples. McNemar's paired test: ${t.b01} example${t.b01 === 1 ? '' : 's'} only B got right, ` +
    `${t.b10} only A got right (statistic ${t.statistic.toFixed(3)}, p = ${t.pValue.toPrecision(3)}, α = ${cmp.alpha}).</p>` +
    table(['metric', 'A', 'B', 'B − A'], metrics, [1, 2, 3]) +
    `<h3>Per intent</h3>${chart}` +
    table(['intent', 'Δ precision', 'Δ recall', 'Δ F1', 'support'], intents, [1, 2, 3, 4]);
  return section('comparison', 'Comparison', body);
}

export function metricsSection(r: EvaluationReport): string {
  const cards: [string, string][] = [
    ['accuracy', formatPct(r.accuracy)],
    ['macro-F1', formatPct(r.macroF1)],
    ['weighted-F1', formatPct(r.weightedF1)],
    ['accepted precision', formatPct(r.accepted.acceptedAccuracy)],
    ['coverage', formatPct(r.accepted.coverage)],
    ['ECE', r.ece.toFixed(3)],
    ['AURC', r.aurc.toFixed(3)],
    ['LLM calls / 1k', r.llm.callsPer1k.toFixed(0)],
    ['LLM cost / 1k', formatMoney(r.llm.costPer1k, r.llm.price.currency)],
    ['latency p50', formatMs(r.latency.p50)],
  ];
  return `<section id="summary" class="cards">${cards.map(([k, v]) => `<div class="card"><div class="k">${esc(k)}</div><div class="v">${esc(v)}</div></div>`).join('')}</section>`;
}

export function routingSection(r: EvaluationReport): string {
  const l = r.llm;
  const tiers = r.tierShares ? `<p>Cascade: share answered per tier ${esc(r.tierShares.map((x) => formatPct(x)).join(' / '))}.</p>` : '';
  const body =
    `<p>At the bundle's thresholds ${esc(formatPct(r.accepted.coverage))} of messages are accepted, with ${esc(formatPct(r.accepted.acceptedAccuracy))} accuracy ` +
    `(target ${esc(formatPct(r.accepted.targetPrecision))}).</p>` +
    table(['route', 'messages', 'share'], (['accepted', 'llm', 'review'] as const).map((k) => [k, String(r.routes[k]), esc(formatPct(r.routes[k] / r.examples))]), [1, 2]) +
    tiers +
    `<p><strong>Projected LLM fallback:</strong> ${esc(l.callsPer1k.toFixed(0))} calls per 1,000 messages ≈ ${esc(formatMoney(l.costPer1k, l.price.currency))} ` +
    `(${esc(formatMoney(l.costPerCall, l.price.currency))} per call; sending every message to the LLM would cost ${esc(formatMoney(l.allLlmCostPer1k, l.price.currency))}).</p>` +
    `<p class="note">Assumption: ${esc(l.assumption)}</p>`;
  return section('routing', 'Routing and LLM cost', body);
}

export function riskSection(r: EvaluationReport, baseline?: EvaluationReport): string {
  const series: Series[] = [{ name: r.model.name, color: COLORS.b, points: r.riskCoverageCurve.map((p) => [p.coverage, p.risk] as const) }];
  if (baseline) series.unshift({ name: `${baseline.model.name} (baseline)`, color: COLORS.a, points: baseline.riskCoverageCurve.map((p) => [p.coverage, p.risk] as const) });
  const acc = r.accepted.acceptedAccuracy;
  const marker = acc === null ? undefined : { coverage: r.accepted.coverage, risk: 1 - acc, label: `bundle thresholds: coverage ${formatPct(r.accepted.coverage)}, error ${formatPct(1 - acc)}` };
  const rows = r.riskCoverage.map((p) => [esc(formatPct(p.coverage)), esc(formatPct(p.accuracy)), String(p.kept), esc(p.threshold.toFixed(3))]);
  const body =
    riskCoverageChart('chart-risk-coverage', series, marker) +
    `<p>AURC ${esc(r.aurc.toFixed(4))} (lower is better). The red dot is the bundle's operating point.</p>` +
    table(['coverage', 'accuracy', 'kept', 'confidence ≥'], rows, [0, 1, 2, 3]);
  return section('risk-coverage', 'Risk–coverage', body);
}

export function calibrationSection(r: EvaluationReport): string {
  return section('calibration', 'Calibration', reliabilityChart('chart-reliability', r.reliability) + `<p>Expected calibration error ${esc(r.ece.toFixed(4))} over ${r.reliability.length} equal-width bins; bars on the dashed diagonal are perfectly calibrated.</p>`);
}

export function intentsSection(r: EvaluationReport): string {
  const byF1 = [...r.perIntent].filter((m) => m.support > 0).sort((a, b) => a.f1 - b.f1 || a.label.localeCompare(b.label));
  const chart = barChart(
    'chart-f1',
    'F1 per intent, worst first',
    byF1.map((m) => ({ label: m.label, value: m.f1, text: formatPct(m.f1), color: m.f1 < r.macroF1 ? COLORS.bad : COLORS.b, tip: `${m.label}: precision ${formatPct(m.precision)}, recall ${formatPct(m.recall)}, F1 ${formatPct(m.f1)}, support ${m.support}` })),
    1,
  );
  const rows = r.perIntent.map((m) => [esc(m.label), esc(formatPct(m.precision)), esc(formatPct(m.recall)), esc(formatPct(m.f1)), String(m.support)]);
  const unknown = r.unknownLabels.length ? `<p class="note">Labels unknown to the model (always wrong): ${esc(r.unknownLabels.join(', '))}</p>` : '';
  return section('intents', 'Per intent', chart + table(['intent', 'precision', 'recall', 'F1', 'support'], rows, [1, 2, 3, 4]) + unknown);
}

export function confusionsSection(r: EvaluationReport): string {
  if (!r.topConfusions.length) return section('confusions', 'Top confusions', '<p>No confusions: every example was classified correctly.</p>');
  const max = Math.max(...r.topConfusions.map((c) => c.count));
  const chart = barChart('chart-confusions', 'Most frequent confusions (true → predicted)', r.topConfusions.map((c) => ({ label: `${c.trueLabel} → ${c.predicted}`, value: c.count, text: `${c.count}×`, color: COLORS.bad })), max, 280);
  const rows = r.topConfusions.map((c) => [esc(c.trueLabel), esc(c.predicted), String(c.count), c.examples.map((e) => `<q>${esc(e)}</q>`).join('<br>')]);
  return section('confusions', 'Top confusions', chart + table(['true', 'predicted', 'count', 'examples'], rows, [2]));
}

export function latencySection(r: EvaluationReport): string {
  const l = r.latency;
  const rows = [[esc(formatMs(l.p50)), esc(formatMs(l.p90)), esc(formatMs(l.p99)), esc(formatMs(l.mean)), esc(formatMs(l.max))]];
  return section('latency', 'Latency per message', table(['p50', 'p90', 'p99', 'mean', 'max'], rows, [0, 1, 2, 3, 4]) + `<p class="note">Method: ${esc(l.method)}</p>`);
}
