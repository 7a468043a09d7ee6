import type { Config } from '../config.js';
import { configSchema } from '../config.js';
import { loadExamples } from '../services/dataset.js';
import type { EvaluateOptions } from '../services/evaluate.js';
import { gateModels, loadGatesFile, type GateRun } from '../services/gate.js';
import type { ProgressReporter } from '../services/progress.js';
import { loadOptions, openClassifier } from './models.js';

/* Part of the composition root (src/app/container/index.ts): the gate use case over bundles named by path. */

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
