import { formatDelta, formatMetric, formatPct, METRIC_NAMES, REPORT_METRICS } from '../../core/eval/compare.js';
import type { GateOutcome } from '../../core/gates/index.js';
import { formatMoney, formatMs, mdCell as cell } from './escape.js';
import type { ReportInput } from './types.js';

/*
 * A short Markdown summary for a CI comment (GitHub / GitLab flavoured tables): headline metrics,
 * the operating point, worst intents, top confusions, the comparison verdict and gate results.
 * Every text from data goes through mdCell, so an intent name cannot break a table or inject markup.
 */

function mdTable(head: readonly string[], rows: readonly (readonly string[])[], align: readonly ('l' | 'r')[]): string[] {
  return [`| ${head.join(' | ')} |`, `|${align.map((a) => (a === 'r' ? '---:' : ':---')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

function gatesBlock(g: GateOutcome): string[] {
  const rows = [...g.failed, ...g.results.filter((r) => r.passed)].map((r) => [
    r.skipped ? '⏭️' : r.passed ? '✅' : '❌',
    cell(r.gate, 60),
    r.actual === null ? '–' : r.actual.toFixed(4),
    r.limit.toFixed(4),
    cell(r.message, 200),
  ]);
  return [`#### Quality gates: ${g.passed ? '✅ passed' : '❌ failed'}`, '', cell(g.summary, 300), '', ...mdTable(['', 'gate', 'actual', 'limit', 'reason'], rows, ['l', 'l', 'r', 'r', 'l'])];
}

/**
 * Renders the Markdown summary.
 *
 * @example
 * writeFileSync('comment.md', renderMarkdown({ report, comparison, gates }));
 */
export function renderMarkdown(input: ReportInput, opts: { worst?: number; confusions?: number } = {}): string {
  const { report: r, comparison: cmp, gates } = input;
  const out: string[] = [`### IntentOps evaluation: ${cell(r.model.name)} on ${r.examples} examples`, ''];
  if (gates) out.push(...gatesBlock(gates), '');
  if (cmp) {
    out.push(`**${cell(cmp.verdict, 300)}**`, '');
    const rows = cmp.metrics.map((d) => {
      const k = REPORT_METRICS[d.metric].kind;
      return [REPORT_METRICS[d.metric].label, formatMetric(k, d.a), formatMetric(k, d.b), formatDelta(k, d.delta)];
    });
    out.push(...mdTable(['metric', `A (${cell(cmp.a, 40)})`, `B (${cell(cmp.b, 40)})`, 'B − A'], rows, ['l', 'r', 'r', 'r']), '');
  } else {
    const rows = METRIC_NAMES.map((m) => [REPORT_METRICS[m].label, formatMetric(REPORT_METRICS[m].kind, REPORT_METRICS[m].get(r))]);
    out.push(...mdTable(['metric', 'value'], rows, ['l', 'r']), '');
  }
  const l = r.llm;
  out.push(
    `- **At the bundle's thresholds:** accepted precision ${formatPct(r.accepted.acceptedAccuracy)} (target ${formatPct(r.accepted.targetPrecision)}) ` +
      `at ${formatPct(r.accepted.coverage)} coverage; routes: accepted ${r.routes.accepted} · llm ${r.routes.llm} · review ${r.routes.review}.`,
    `- **Projected LLM fallback:** ${l.callsPer1k.toFixed(0)} calls per 1,000 messages ≈ ${formatMoney(l.costPer1k, l.price.currency)} ` +
      `(${cell(l.price.model, 40)}, ~${l.tokens.prompt}+${l.tokens.completion} tokens per call).`,
    `- **Latency per message:** p50 ${formatMs(r.latency.p50)} · p90 ${formatMs(r.latency.p90)} · p99 ${formatMs(r.latency.p99)} (batches of ${r.latency.batchSize}).`,
    '',
  );
  const worst = [...r.perIntent].filter((m) => m.support > 0).sort((a, b) => a.f1 - b.f1 || a.label.localeCompare(b.label)).slice(0, opts.worst ?? 5);
  out.push('#### Worst intents (by F1)', '', ...mdTable(['intent', 'precision', 'recall', 'F1', 'support'], worst.map((m) => [cell(m.label, 60), formatPct(m.precision), formatPct(m.recall), formatPct(m.f1), String(m.support)]), ['l', 'r', 'r', 'r', 'r']), '');
  const conf = r.topConfusions.slice(0, opts.confusions ?? 5);
  if (conf.length) {
    const rows = conf.map((c) => [`${cell(c.trueLabel, 40)} → ${cell(c.predicted, 40)}`, String(c.count), c.examples[0] ? `“${cell(c.examples[0], 80)}”` : '']);
    out.push('#### Top confusions', '', ...mdTable(['true → predicted', 'count', 'example'], rows, ['l', 'r', 'l']), '');
  }
  if (cmp) {
    const moved = cmp.perIntent.filter((d) => d.f1 !== null && Math.abs(d.f1) >= 0.0005).sort((a, b) => Math.abs(b.f1!) - Math.abs(a.f1!)).slice(0, 5);
    if (moved.length) {
      const rows = moved.map((d) => [cell(d.label, 60), formatDelta('pct', d.precision), formatDelta('pct', d.recall), formatDelta('pct', d.f1)]);
      out.push('#### Largest per-intent changes (B − A)', '', ...mdTable(['intent', 'Δ precision', 'Δ recall', 'Δ F1'], rows, ['l', 'r', 'r', 'r']), '');
    }
  }
  if (r.unknownLabels.length) out.push(`Labels unknown to the model (always wrong): ${r.unknownLabels.map((x) => cell(x, 40)).join(', ')}`, '');
  return out.join('\n');
}
