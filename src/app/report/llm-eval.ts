import type { LlmGateOutcome } from '../../core/gates/llm.js';
import type { LlmEvalResult } from '../services/llm-eval.js';
import { escapeHtml, mdCell } from './escape.js';

/** Terminal table, Markdown report and JSON of `intentops llm eval`. */

export interface LlmEvalReport {
  readonly result: LlmEvalResult;
  /** Per variant (same order), when --gates was given. */
  readonly gates?: readonly LlmGateOutcome[];
}

const pct = (x: number | null) => (x === null ? '–' : `${(100 * x).toFixed(1)}%`);
const usd = (x: number | null) => (x === null ? '–' : `$${x < 0.01 ? x.toPrecision(2) : x.toFixed(2)}`);
const ms = (x: number | null) => (x === null ? '–' : `${Math.round(x)} ms`);
const pv = (p: number) => (p < 0.001 ? '<0.001' : p.toFixed(3));

interface Column {
  readonly head: string;
  readonly cell: (v: LlmEvalResult['variants'][number], i: number) => string;
}

const COLUMNS: readonly Column[] = [
  { head: 'variant', cell: (v, i) => `${v.name}${i === 0 ? ' (champion)' : ''}` },
  { head: 'version', cell: (v) => v.hash },
  { head: 'model', cell: (v) => `${v.provider}:${v.model}` },
  { head: 'n', cell: (v) => `${v.metrics.evaluated}/${v.metrics.sliceSize}` },
  { head: 'slice acc', cell: (v) => pct(v.metrics.sliceAccuracy) },
  { head: 'macro-F1', cell: (v) => pct(v.metrics.sliceMacroF1) },
  { head: 'end-to-end', cell: (v) => pct(v.metrics.endToEndAccuracy) },
  { head: 'none|oos', cell: (v) => pct(v.metrics.noneRateUnknown) },
  { head: 'false none', cell: (v) => pct(v.metrics.falseNoneRate) },
  { head: 'invalid', cell: (v) => pct(v.metrics.invalidRate) },
  { head: 'failed', cell: (v) => pct(v.metrics.failedRate) },
  { head: 'tokens in/out', cell: (v) => `${v.metrics.promptTokens}/${v.metrics.completionTokens}` },
  { head: '$/1k msgs', cell: (v) => usd(v.metrics.costPer1k) },
  { head: '$/1k calls', cell: (v) => usd(v.metrics.costPer1kCalls) },
  { head: 'p50', cell: (v) => ms(v.metrics.latencyP50Ms) },
  { head: 'p95', cell: (v) => ms(v.metrics.latencyP95Ms) },
  { head: 'vs champion', cell: (v) => (v.vsChampion === undefined ? '' : v.vsChampion === null ? 'no shared rows' : `+${v.vsChampion.b01}/−${v.vsChampion.b10} p=${pv(v.vsChampion.pValue)}`) },
];

function header(r: LlmEvalResult): string[] {
  const scope = r.all
    ? `all ${r.rows} rows sent to the LLM (--all)`
    : `the LLM slice: ${r.sliceSize} of ${r.rows} rows the bundle does not accept at its thresholds (${r.accepted} answered locally)`;
  return [
    `LLM eval with bundle ${r.model.name} (${r.model.embedder}) on ${scope}; ${r.unknownRows} rows of intents unknown to the bundle (right answer: none)`,
    `spent ${r.spentUsd.toFixed(4)} USD in this run${r.maxCostUsd !== undefined ? ` (ceiling ${r.maxCostUsd} USD)` : ''}; ${r.variants.map((v) => `${v.name}: ${v.calls} calls, ${v.cacheHits} cached`).join('; ')}`,
    ...(r.partial ? [`PARTIAL RESULTS: ${r.stopReason ?? 'the run stopped early'}`] : []),
  ];
}

function gateLines(g: LlmEvalReport['gates'], r: LlmEvalResult): string[] {
  if (!g) return [];
  const lines = [''];
  r.variants.forEach((v, i) => {
    const o = g[i];
    lines.push(`gates for ${v.name}: ${o.passed ? 'PASSED' : 'FAILED'}`);
    for (const x of [...o.failed, ...o.results.filter((y) => y.passed)]) lines.push(`  ${x.passed ? 'PASS' : 'FAIL'}  ${x.gate}: ${x.message}`);
  });
  return lines;
}

/** A fixed-width table for the terminal, then confusions, McNemar verdicts and gates. */
export function formatLlmEval(rep: LlmEvalReport): string {
  const r = rep.result;
  const cells = r.variants.map((v, i) => COLUMNS.map((c) => c.cell(v, i)));
  const widths = COLUMNS.map((c, j) => Math.max(c.head.length, ...cells.map((row) => row[j].length)));
  const line = (row: string[]) => row.map((s, j) => (j < 3 ? s.padEnd(widths[j]) : s.padStart(widths[j]))).join('  ').trimEnd();
  const lines = [...header(r), '', line(COLUMNS.map((c) => c.head)), ...cells.map(line)];
  for (const v of r.variants) {
    if (v.vsChampion) lines.push(`${v.name}: ${v.vsChampion.verdict} on ${v.vsChampion.n} shared rows`);
    if (v.stopped) lines.push(`${v.name}: ${v.stopped}`);
  }
  for (const v of r.variants) {
    if (!v.metrics.confusions.length) continue;
    lines.push('', `worst confusions of ${v.name} (true → answered):`);
    for (const c of v.metrics.confusions) lines.push(`  ${c.count}× ${c.trueLabel} → ${c.predicted}   e.g. ${JSON.stringify(c.example.length > 100 ? `${c.example.slice(0, 100)}…` : c.example)}`);
  }
  lines.push(...gateLines(rep.gates, r));
  return lines.join('\n');
}

/** A Markdown report (for a CI comment or a pull request). */
export function renderLlmEvalMarkdown(rep: LlmEvalReport): string {
  const r = rep.result;
  const lines = ['# LLM evaluation', '', ...header(r).map((l) => `${l}  `), '', `| ${COLUMNS.map((c) => c.head).join(' | ')} |`, `|${COLUMNS.map((_, j) => (j < 3 ? ' --- ' : ' ---: ')).join('|')}|`];
  r.variants.forEach((v, i) => lines.push(`| ${COLUMNS.map((c) => mdCell(c.cell(v, i))).join(' | ')} |`));
  lines.push('');
  for (const v of r.variants) {
    if (v.vsChampion) lines.push(`- **${mdCell(v.name)}**: ${mdCell(v.vsChampion.verdict)} (${v.vsChampion.b01} rows only it got right, ${v.vsChampion.b10} only the champion, of ${v.vsChampion.n})`);
    if (v.stopped) lines.push(`- **${mdCell(v.name)}** stopped early: ${mdCell(v.stopped)}`);
  }
  for (const v of r.variants) {
    if (!v.metrics.confusions.length) continue;
    lines.push('', `## Worst confusions of ${mdCell(v.name)}`, '', '| count | true | answered | example |', '| ---: | --- | --- | --- |');
    for (const c of v.metrics.confusions) lines.push(`| ${c.count} | ${mdCell(c.trueLabel)} | ${mdCell(c.predicted)} | ${mdCell(c.example)} |`);
  }
  if (rep.gates) {
    lines.push('', '## Gates', '');
    r.variants.forEach((v, i) => {
      lines.push(`**${mdCell(v.name)}**: ${rep.gates![i].passed ? 'passed' : 'FAILED'}`, '');
      for (const x of rep.gates![i].results) lines.push(`- ${x.passed ? '✅' : '❌'} \`${x.gate}\`: ${mdCell(x.message)}`);
      lines.push('');
    });
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

export function renderLlmEvalJson(rep: LlmEvalReport): string {
  return JSON.stringify({ ...rep.result, ...(rep.gates ? { gates: rep.result.variants.map((v, i) => ({ variant: v.name, ...rep.gates![i] })) } : {}) }, null, 2);
}

/** A self-contained HTML report (no scripts, no external resources). */
export function renderLlmEvalHtml(rep: LlmEvalReport): string {
  const r = rep.result;
  const e = escapeHtml;
  const rows = r.variants.map((v, i) => `<tr>${COLUMNS.map((c, j) => `<td${j >= 3 ? ' class="n"' : ''}>${e(c.cell(v, i))}</td>`).join('')}</tr>`).join('\n');
  const notes = r.variants
    .flatMap((v) => [...(v.vsChampion ? [`<li><b>${e(v.name)}</b>: ${e(v.vsChampion.verdict)} (${v.vsChampion.b01} rows only it got right, ${v.vsChampion.b10} only the champion, of ${v.vsChampion.n})</li>`] : []), ...(v.stopped ? [`<li><b>${e(v.name)}</b> stopped early: ${e(v.stopped)}</li>`] : [])])
    .join('\n');
  const confusions = r.variants
    .filter((v) => v.metrics.confusions.length)
    .map(
      (v) =>
        `<h2>Worst confusions of ${e(v.name)}</h2>\n<table><tr><th>count</th><th>true</th><th>answered</th><th>example</th></tr>\n${v.metrics.confusions
          .map((c) => `<tr><td class="n">${c.count}</td><td>${e(c.trueLabel)}</td><td>${e(c.predicted)}</td><td>${e(c.example)}</td></tr>`)
          .join('\n')}</table>`,
    )
    .join('\n');
  const gates = rep.gates
    ? `<h2>Gates</h2>\n${r.variants.map((v, i) => `<p><b>${e(v.name)}</b>: ${rep.gates![i].passed ? 'passed' : '<span class="bad">FAILED</span>'}</p><ul>${rep.gates![i].results.map((x) => `<li class="${x.passed ? 'ok' : 'bad'}">${x.passed ? 'PASS' : 'FAIL'} <code>${e(x.gate)}</code>: ${e(x.message)}</li>`).join('')}</ul>`).join('\n')}`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>LLM evaluation</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}.bad{color:#b00020}.ok{color:#1b5e20}.partial{background:#fff3cd;padding:.5em}</style>
</head><body>
<h1>LLM evaluation</h1>
${header(r)
  .map((l) => `<p${l.startsWith('PARTIAL') ? ' class="partial"' : ''}>${e(l)}</p>`)
  .join('\n')}
<table><tr>${COLUMNS.map((c) => `<th>${e(c.head)}</th>`).join('')}</tr>
${rows}</table>
<ul>${notes}</ul>
${confusions}
${gates}
</body></html>
`;
}
