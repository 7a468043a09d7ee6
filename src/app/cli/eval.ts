import { InvalidArgumentError, type Command } from 'commander';
import { formatDelta, formatMetric, REPORT_METRICS, type Comparison } from '../../core/eval/compare.js';
import { loadOptions, openClassifier } from '../container/index.js';
import { renderHtml, renderJson, renderMarkdown, writeReportFile, type ReportInput } from '../report/index.js';
import { formatMoney, formatMs } from '../report/escape.js';
import { loadExamples } from '../services/dataset.js';
import { DEFAULT_LLM_PRICE, DEFAULT_LLM_TOKENS, evaluateModel, evaluatePair, type EvaluationReport } from '../services/evaluate.js';
import { action, configFor, out, type CliIO } from './context.js';
import { recordEvaluationOfBundle } from './runs.js';
import { terminalProgress } from './progress-bar.js';

const pct = (x: number | null) => (x === null ? '   –  ' : `${(100 * x).toFixed(1).padStart(5)}%`);

export function formatReport(r: EvaluationReport): string {
  const lines = [
    `model ${r.model.name} (${r.model.embedder}) on ${r.examples} examples`,
    `accuracy ${pct(r.accuracy)}   macro-F1 ${pct(r.macroF1)}   weighted-F1 ${pct(r.weightedF1)}   ECE ${r.ece.toFixed(3)}   AURC ${r.aurc.toFixed(3)}`,
    ...(r.tierShares ? [`cascade: share answered per tier ${r.tierShares.map((x) => pct(x).trim()).join(' / ')}`] : []),
    `at the bundle's thresholds: coverage ${pct(r.accepted.coverage)}, accuracy on accepted ${pct(r.accepted.acceptedAccuracy)} (target ${pct(r.accepted.targetPrecision)}); routes: accepted ${r.routes.accepted}, llm ${r.routes.llm}, review ${r.routes.review}`,
    `promised vs delivered: the bundle promises ≥ ${pct(r.promise.target).trim()} on accepted messages${r.promise.promisedBound !== null ? ` (its cross-fitted lower bound ${pct(r.promise.promisedBound).trim()})` : ''}; this test delivered ${pct(r.promise.delivered).trim()} on ${r.promise.accepted} accepted (95 % interval ${pct(r.promise.lower).trim()}–${pct(r.promise.upper).trim()})${r.promise.kept === false ? ' — PROMISE BROKEN' : r.promise.kept ? ' — consistent with the promise' : ''}`,
    ...(r.openSet
      ? [
          `open set (unknown intents = one open class): accuracy ${pct(r.openSet.accuracy)}, macro-F1 ${pct(r.openSet.macroF1)}; ${r.openSet.unknownExamples} unknown messages, ${pct(r.openSet.unknownRecall).trim()} flagged out of scope; ${pct(r.openSet.knownFlagged).trim()} of known-intent messages flagged${r.openSet.unknownShare !== null ? ` (thresholds for an unknown share of ${pct(r.openSet.unknownShare).trim()})` : ''}`,
        ]
      : []),
    ...(r.adapted
      ? [
          `adapted to this traffic (unknown share estimated from the messages: ${pct(r.adapted.unknownShare).trim()}): coverage ${pct(r.adapted.accepted.coverage).trim()}, accuracy on accepted ${pct(r.adapted.accepted.acceptedAccuracy).trim()}; open-set accuracy ${pct(r.adapted.openSet.accuracy).trim()}, macro-F1 ${pct(r.adapted.openSet.macroF1).trim()}, unknown recall ${pct(r.adapted.openSet.unknownRecall).trim()}`,
        ]
      : []),
    `projected LLM fallback: ${r.llm.callsPer1k.toFixed(0)} calls per 1,000 messages ≈ ${formatMoney(r.llm.costPer1k, r.llm.price.currency)} (${r.llm.price.model}, ~${r.llm.tokens.prompt}+${r.llm.tokens.completion} tokens per call)`,
    `latency per message: p50 ${formatMs(r.latency.p50)}, p90 ${formatMs(r.latency.p90)}, p99 ${formatMs(r.latency.p99)} (${r.latency.batches} batches of up to ${r.latency.batchSize})`,
    '',
    'risk–coverage (accuracy on the most confident share):',
    ...r.riskCoverage.map((p) => `  coverage ${pct(p.coverage)}  accuracy ${pct(p.accuracy)}  (confidence ≥ ${p.threshold.toFixed(3)})`),
    '',
    `${'intent'.padEnd(32)} precision  recall     f1  support`,
    ...r.perIntent.map((l) => `${l.label.slice(0, 32).padEnd(32)}    ${pct(l.precision)} ${pct(l.recall)} ${pct(l.f1)} ${String(l.support).padStart(8)}`),
  ];
  if (r.topConfusions.length) {
    lines.push('', 'top confusions (true → predicted):');
    for (const c of r.topConfusions) lines.push(`  ${c.count}× ${c.trueLabel} → ${c.predicted}${c.examples[0] ? `   e.g. ${JSON.stringify(c.examples[0])}` : ''}`);
  }
  if (r.unknownLabels.length) lines.push('', `labels unknown to the model (wrong in the closed figures, the open class in the open-set ones): ${r.unknownLabels.join(', ')}`);
  return lines.join('\n');
}

export function formatComparison(c: Comparison): string {
  const lines = [`comparison: A = ${c.a} (--compare), B = ${c.b} (--model), ${c.examples} examples`, `${'metric'.padEnd(20)}${'A'.padStart(9)}${'B'.padStart(9)}${'B − A'.padStart(12)}`];
  for (const d of c.metrics) {
    const k = REPORT_METRICS[d.metric].kind;
    lines.push(`${REPORT_METRICS[d.metric].label.padEnd(20)}${formatMetric(k, d.a).padStart(9)}${formatMetric(k, d.b).padStart(9)}${formatDelta(k, d.delta).padStart(12)}`);
  }
  lines.push(`${'intent'.padEnd(32)}  Δprecision   Δrecall       ΔF1`);
  for (const d of c.perIntent) lines.push(`${d.label.slice(0, 32).padEnd(32)}${formatDelta('pct', d.precision).padStart(12)}${formatDelta('pct', d.recall).padStart(10)}${formatDelta('pct', d.f1).padStart(10)}`);
  lines.push(`McNemar: ${c.mcnemar.b01} only B right, ${c.mcnemar.b10} only A right, p = ${c.mcnemar.pValue.toPrecision(3)}`, c.verdict);
  return lines.join('\n');
}

/** "A,B": two non-negative numbers. */
function pairOption(name: string, what: string) {
  return (v: string): [number, number] => {
    const parts = v.split(',').map((x) => Number(x.trim()));
    if (parts.length !== 2 || parts.some((x) => !Number.isFinite(x) || x < 0)) throw new InvalidArgumentError(`${name} must be ${what}, got ${JSON.stringify(v)}`);
    return [parts[0], parts[1]];
  };
}

export function registerEval(program: Command, io: CliIO): void {
  program
    .command('eval')
    .description('evaluate a model bundle on labelled data; write JSON, HTML and Markdown reports; compare with another version')
    .requiredOption('--model <dir>', 'model bundle directory, or DIR1,DIR2 for a cascade (cheapest first)')
    .requiredOption('--data <file>', 'labelled test data')
    .option('--model-dir <dir>', 'ONNX sentence-encoder directory, if the bundle uses onnx and it moved')
    .option('--text-col <name>', 'text column / field')
    .option('--label-col <name>', 'label column / field')
    .option('--json', 'print the report as JSON')
    .option('--html <file>', 'write a self-contained HTML report (charts inline, viewable offline)')
    .option('--md <file>', 'write a Markdown summary (for a CI comment)')
    .option('--compare <dir>', 'also evaluate this bundle (A, e.g. the champion) and compare --model (B) with it: deltas and McNemar test')
    .option('--llm-price <in,out>', `LLM price per 1M input,output tokens for the cost projection (default ${DEFAULT_LLM_PRICE.inputPer1M},${DEFAULT_LLM_PRICE.outputPer1M} = ${DEFAULT_LLM_PRICE.model})`, pairOption('--llm-price', 'two prices "IN,OUT" per 1M tokens'))
    .option('--llm-tokens <prompt,completion>', `tokens per LLM fallback call (default ${DEFAULT_LLM_TOKENS.prompt},${DEFAULT_LLM_TOKENS.completion})`, pairOption('--llm-tokens', 'two token counts "PROMPT,COMPLETION"'))
    .option('--llm-model <name>', 'name of the priced LLM, shown in the report')
    .action(
      action(io, async (o: Record<string, unknown>, cmd: Command) => {
        const c = configFor(cmd, io, { onnx: { modelDir: o.modelDir }, data: { textCol: o.textCol, labelCol: o.labelCol } });
        const price = o.llmPrice as [number, number] | undefined;
        const tokens = o.llmTokens as [number, number] | undefined;
        const opts = {
          price: price || o.llmModel ? { ...DEFAULT_LLM_PRICE, ...(price ? { inputPer1M: price[0], outputPer1M: price[1] } : {}), model: String(o.llmModel ?? (price ? 'custom LLM' : DEFAULT_LLM_PRICE.model)) } : undefined,
          tokens: tokens ? { prompt: tokens[0], completion: tokens[1] } : undefined,
        };
        const model = await openClassifier(String(o.model), c);
        const baseline = o.compare ? await openClassifier(String(o.compare), c) : undefined;
        // every test row is scored: duplicates are reported, not dropped
        const data = await loadExamples(String(o.data), { ...loadOptions(c), keepDuplicates: true });
        let input: ReportInput;
        if (baseline) {
          const pair = await evaluatePair(baseline, model, data.examples, { ...opts, progress: terminalProgress() });
          input = { report: pair.b, baseline: pair.a, comparison: pair.comparison };
        } else {
          input = { report: await evaluateModel(model, data.examples, terminalProgress(), opts) };
        }
        const runId = await recordEvaluationOfBundle(cmd, io, String(o.model), input.report);
        if (o.html) writeReportFile(String(o.html), renderHtml(input));
        if (o.md) writeReportFile(String(o.md), renderMarkdown(input));
        if (o.json) return out(io, renderJson(input));
        const text = [formatReport(input.report)];
        if (input.comparison) text.push('', formatComparison(input.comparison));
        for (const f of [o.html, o.md].filter(Boolean)) text.push(`wrote ${String(f)}`);
        if (runId) text.push(`test figures added to run ${runId.slice(0, 13)} (intentops runs show ${runId.slice(0, 13)})`);
        out(io, text.join('\n'));
      }),
    );
}
