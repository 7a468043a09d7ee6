import type { Config } from '../config.js';
import { configSchema } from '../config.js';
import { loadExamples } from '../services/dataset.js';
import type { EvaluateOptions } from '../services/evaluate.js';
import { gateModels, loadGatesFile, type GateRun } from '../services/gate.js';
import type { ModelVersion } from '../../ports/registry-store.js';
import { resolveModelUri } from '../services/registry.js';
import type { ChallengerGate } from '../services/rollout.js';
import type { ProgressReporter } from '../services/progress.js';
import { loadOptions, openClassifier, openGateModel, openRegistry, resolveModelRef } from './models.js';

/* Part of the composition root (src/app/container/index.ts): quality gates over models named by path, registry reference or registry version. */

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
  const candidate = await openClassifier(await resolveModelRef(req.candidateDir, c), c);
  const baseline = req.baselineDir ? await openClassifier(await resolveModelRef(req.baselineDir, c), c) : undefined;
  const data = await loadExamples(req.data, { ...loadOptions(c), keepDuplicates: true });
  return gateModels({ gates, candidate, baseline, examples: data.examples, progress: req.progress, evaluate: req.evaluate });
}

/**
 * The gate of a registry version against another (the current holder of the alias): what
 * `promote` and `rollout promote` run before gateThenPromote moves the alias.
 */
export function versionGate(c: Config, files: { gates: string; data: string }): ChallengerGate {
  return async (challenger: ModelVersion, champion: ModelVersion | undefined) => {
    const g = loadGatesFile(files.gates);
    const reg = await openRegistry(c);
    try {
      const open = async (v: ModelVersion) => openGateModel((await resolveModelUri(reg, `models:/${v.name}/${v.version}`)).path, c);
      const candidate = await open(challenger);
      const baseline = champion ? await open(champion) : undefined;
      const examples = (await loadExamples(files.data, { ...loadOptions(c), keepDuplicates: true })).examples;
      return await gateModels({ gates: g, candidate, baseline, examples });
    } finally {
      await reg.store.close();
    }
  };
}
