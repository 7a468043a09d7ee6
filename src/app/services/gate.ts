import { existsSync, readFileSync } from 'node:fs';
import { IntentOpsError } from '../../core/errors.js';
import { evaluateGates, parseGates, type GateOutcome, type Gates } from '../../core/gates/index.js';
import type { Comparison } from '../../core/eval/compare.js';
import type { LabelledText } from '../../core/types.js';
import { evaluateModel, type EvaluateOptions, type EvaluationReport } from './evaluate.js';
import type { Classifier } from './model.js';
import { silentProgress, type ProgressReporter } from './progress.js';

/** CLI exit code of `intentops gate` (and a refused `promote`) when at least one gate fails. */
export const GATE_FAILED_EXIT = 6;

/** Reads and validates a gates file; errors name `file:line (field)`. */
export function loadGatesFile(path: string): Gates {
  if (!existsSync(path)) throw new IntentOpsError('not_found', `gates file ${path} does not exist`, { where: path, hint: 'create one (see test/fixtures/gates/gates.yaml for every gate) or fix the path' });
  return parseGates(readFileSync(path, 'utf8'), path);
}

export interface GateRun {
  readonly gates: Gates;
  readonly candidate: EvaluationReport;
  readonly baseline?: EvaluationReport;
  readonly comparison?: Comparison;
  readonly outcome: GateOutcome;
}

export interface GateModelsRequest {
  readonly gates: Gates;
  readonly candidate: Classifier;
  readonly baseline?: Classifier;
  readonly examples: readonly LabelledText[];
  readonly progress?: ProgressReporter;
  readonly evaluate?: EvaluateOptions;
}

/** Evaluates candidate (and baseline) on the same examples and checks the gates. */
export async function gateModels(req: GateModelsRequest): Promise<GateRun> {
  const progress = req.progress ?? silentProgress;
  const candidate = await evaluateModel(req.candidate, req.examples, progress, req.evaluate);
  const baseline = req.baseline ? await evaluateModel(req.baseline, req.examples, progress, req.evaluate) : undefined;
  const outcome = evaluateGates(req.gates, candidate, baseline);
  return { gates: req.gates, candidate, baseline, comparison: outcome.comparison, outcome };
}

/** Plain-text gate results for a terminal: one line per gate, failures first. */
export function formatGateOutcome(o: GateOutcome): string {
  const order = [...o.failed, ...o.results.filter((r) => r.passed)];
  const lines = order.map((r) => `${r.skipped ? 'SKIP' : r.passed ? 'PASS' : 'FAIL'}  ${r.gate}: ${r.message}`);
  if (o.comparison) lines.push('', o.comparison.verdict);
  lines.push('', o.passed ? `PASSED: ${o.summary}` : `FAILED: ${o.summary}`);
  return lines.join('\n');
}
