import type { GateResult } from './evaluate.js';
import type { Gates } from './schema.js';

/** What the LLM gates read of a variant's evaluation (see core/eval/llm-metrics.ts). */
export interface LlmGateFigures {
  readonly sliceAccuracy: number | null;
  readonly costPer1k: number | null;
  readonly invalidRate: number | null;
  /** The run stopped before the end (cost ceiling, failing server): figures cover part of the slice. */
  readonly partial: boolean;
}

export interface LlmGateOutcome {
  readonly passed: boolean;
  readonly results: GateResult[];
  readonly failed: GateResult[];
}

/** Rounding slack: a figure equal to its limit passes. */
const EPS = 1e-12;
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const usd = (x: number) => `${x.toFixed(4)} USD`;

/**
 * Checks one LLM variant against the `llm:` gates of a gates file. A partial run fails every
 * gate it has: a variant cannot pass on the part of the data it happened to reach.
 *
 * @example
 * evaluateLlmGates({ minSliceAccuracy: 0.8 }, { sliceAccuracy: 0.75, costPer1k: 0.1, invalidRate: 0, partial: false }).passed // false
 */
export function evaluateLlmGates(g: NonNullable<Gates['llm']>, m: LlmGateFigures): LlmGateOutcome {
  const results: GateResult[] = [];
  const add = (gate: string, actual: number | null, limit: number, atLeast: boolean, label: string, fmt: (x: number) => string) => {
    if (m.partial) {
      results.push({ gate, passed: false, skipped: false, actual, limit, message: `the run stopped early: ${label} covers only part of the slice` });
      return;
    }
    if (actual === null) {
      results.push({ gate, passed: false, skipped: false, actual, limit, message: `${label} is undefined: the LLM answered no message` });
      return;
    }
    const passed = atLeast ? actual >= limit - EPS : actual <= limit + EPS;
    const rel = atLeast ? (passed ? 'meets the minimum' : 'is below the minimum') : passed ? 'is within the maximum' : 'is above the maximum';
    results.push({ gate, passed, skipped: false, actual, limit, message: `${label} ${fmt(actual)} ${rel} ${fmt(limit)}` });
  };
  if (g.minSliceAccuracy !== undefined) add('llm.minSliceAccuracy', m.sliceAccuracy, g.minSliceAccuracy, true, 'accuracy on the LLM slice', pct);
  if (g.maxCostPer1k !== undefined) add('llm.maxCostPer1k', m.costPer1k, g.maxCostPer1k, false, 'cost per 1,000 messages', usd);
  if (g.maxInvalidRate !== undefined) add('llm.maxInvalidRate', m.invalidRate, g.maxInvalidRate, false, 'invalid-output rate', pct);
  const failed = results.filter((r) => !r.passed);
  return { passed: failed.length === 0, results, failed };
}

/** Whether a gates file has any LLM gate. */
export function hasLlmGates(g: Gates): boolean {
  return g.llm !== undefined && Object.values(g.llm).some((v) => v !== undefined);
}
