import type { Command } from 'commander';
import { loadOptions, openClassifier } from '../container.js';
import { loadExamples } from '../services/dataset.js';
import { evaluateModel, type EvaluationReport } from '../services/evaluate.js';
import { action, configFor, out, type CliIO } from './context.js';
import { terminalProgress } from './progress-bar.js';

const pct = (x: number | null) => (x === null ? '   –  ' : `${(100 * x).toFixed(1).padStart(5)}%`);

export function formatReport(r: EvaluationReport): string {
  const lines = [
    `model ${r.model.name} (${r.model.embedder}) on ${r.examples} examples`,
    `accuracy ${pct(r.accuracy)}   macro-F1 ${pct(r.macroF1)}   weighted-F1 ${pct(r.weightedF1)}   ECE ${r.ece.toFixed(3)}`,
    ...(r.tierShares ? [`cascade: share answered per tier ${r.tierShares.map((x) => pct(x).trim()).join(' / ')}`] : []),
    `at the bundle's thresholds: coverage ${pct(r.accepted.coverage)}, accuracy on accepted ${pct(r.accepted.acceptedAccuracy)} (target ${pct(r.accepted.targetPrecision)}); routes: accepted ${r.routes.accepted}, llm ${r.routes.llm}, review ${r.routes.review}`,
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
  if (r.unknownLabels.length) lines.push('', `labels unknown to the model (always wrong): ${r.unknownLabels.join(', ')}`);
  return lines.join('\n');
}

export function registerEval(program: Command, io: CliIO): void {
  program
    .command('eval')
    .description('evaluate a model bundle on labelled data')
    .requiredOption('--model <dir>', 'model bundle directory, or DIR1,DIR2 for a cascade (cheapest first)')
    .requiredOption('--data <file>', 'labelled test data')
    .option('--model-dir <dir>', 'ONNX sentence-encoder directory, if the bundle uses onnx and it moved')
    .option('--text-col <name>', 'text column / field')
    .option('--label-col <name>', 'label column / field')
    .option('--json', 'print the report as JSON')
    .action(
      action(io, async (o: Record<string, string | boolean | undefined>, cmd: Command) => {
        const c = configFor(cmd, io, { onnx: { modelDir: o.modelDir }, data: { textCol: o.textCol, labelCol: o.labelCol } });
        const model = await openClassifier(String(o.model), c);
        // every test row is scored: duplicates are reported, not dropped
        const data = await loadExamples(String(o.data), { ...loadOptions(c), keepDuplicates: true });
        const report = await evaluateModel(model, data.examples, terminalProgress());
        out(io, o.json ? JSON.stringify(report, null, 2) : formatReport(report));
      }),
    );
}
