import { existsSync, readFileSync } from 'node:fs';
import type { Config } from '../config.js';
import { configSchema } from '../config.js';
import { loadOptions, openClassifier } from '../container.js';
import { IntentOpsError } from '../../core/errors.js';
import { evaluateGates, parseGates, type GateOutcome, type Gates } from '../../core/gates/index.js';
import type { Comparison } from '../../core/eval/compare.js';
import type { LabelledText } from '../../core/types.js';
import { loadExamples } from './dataset.js';
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

export interface GateRequest {
  readonly gatesFile: string;
  /** Model bundle directory (or `a,b` for a cascade), as for `eval --model`. */
  readonly candidateDir: string;
  readonly baselineDir?: string;
  /** Labelled test data; every row is scored (duplicates kept). */
  readonly data: string;
  /** Effective configuration (embedder options, data columns); defaults when absent. */
  readonly config?: Config;
  readonly progress?: ProgressReporter;
  readonly evaluate?: EvaluateOptions;
}

/**
 * The gate use case: validate the gates file first (cheap, fails fast), then evaluate both models
 * on the same data and check every gate. A failed gate is a result, not an error: callers exit
 * with GATE_FAILED_EXIT when `outcome.passed` is false.
 *
 * @example
 * const run = await runGate({ gatesFile: 'gates.yaml', candidateDir: 'models/new', baselineDir: 'models/champion', data: 'test.csv' });
 * process.exitCode = run.outcome.passed ? 0 : GATE_FAILED_EXIT;
 */
export async function runGate(req: GateRequest): Promise<GateRun> {
  const gates = loadGatesFile(req.gatesFile);
  const c = req.config ?? configSchema.parse({});
  const candidate = await openClassifier(req.candidateDir, c);
  const baseline = req.baselineDir ? await openClassifier(req.baselineDir, c) : undefined;
  const data = await loadExamples(req.data, { ...loadOptions(c), keepDuplicates: true });
  return gateModels({ gates, candidate, baseline, examples: data.examples, progress: req.progress, evaluate: req.evaluate });
}

/** Plain-text gate results for a terminal: one line per gate, failures first. */
export function formatGateOutcome(o: GateOutcome): string {
  const order = [...o.failed, ...o.results.filter((r) => r.passed)];
  const lines = order.map((r) => `${r.skipped ? 'SKIP' : r.passed ? 'PASS' : 'FAIL'}  ${r.gate}: ${r.message}`);
  if (o.comparison) lines.push('', o.comparison.verdict);
  lines.push('', o.passed ? `PASSED: ${o.summary}` : `FAILED: ${o.summary}`);
  return lines.join('\n');
}
