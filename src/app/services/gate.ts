import { existsSync, readFileSync } from 'node:fs';
import { IntentOpsError } from '../../core/errors.js';
import { evaluateGates, parseGates, type GateOutcome, type Gates } from '../../core/gates/index.js';
import type { Comparison } from '../../core/eval/compare.js';
import type { LabelledText } from '../../core/types.js';
import { evaluateModel, type EvaluateOptions, type EvaluationReport } from './evaluate.js';
import type { Classifier } from '../classify/model.js';
import { silentProgress, type ProgressReporter } from './progress.js';
import { setAlias, type Registry } from './registry.js';
import type { AliasMove } from '../../ports/registry-store.js';
import type { LabelReport, ProvenanceCounts } from '../../core/labels/index.js';

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
  /** What the candidate learnt from machine labels (set by retrain): shown with the gate results. */
  readonly labels?: LabelReport;
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

export interface GatedPromotion {
  readonly registry: Registry;
  readonly name: string;
  /** The alias moved when the gate passes: champion (promote, rollout promote), challenger (retrain). */
  readonly alias: string;
  /** Runs the quality gate; undefined when the promotion is forced (the reason says so). */
  readonly gate?: () => Promise<GateRun>;
  /** The version the alias moves to, asked for only once the gate has passed (retrain registers it then). */
  readonly version: number | (() => Promise<number>);
  readonly who: string;
  /** The reason recorded in the audit log, given the gate run (undefined when forced). */
  readonly why: (run: GateRun | undefined) => string;
}

/**
 * The one gate-then-promote use case (`promote`, `rollout promote`, `retrain`): run the quality
 * gate unless forced; a failed gate is a result and changes nothing; a passed one (or a forced
 * promotion) moves the alias, with the reason in the audit log.
 */
export async function gateThenPromote(p: GatedPromotion): Promise<{ run?: GateRun; move?: AliasMove }> {
  const run = p.gate ? await p.gate() : undefined;
  if (run && !run.outcome.passed) return { run };
  const version = typeof p.version === 'number' ? p.version : await p.version();
  const move = await setAlias(p.registry, p.name, p.alias, version, { who: p.who, why: p.why(run) });
  return { run, move };
}

/**
 * Machine labels a candidate was trained with, per provenance: used (and how many an audit
 * confirmed), dropped by reason, the LLM models and prompt variants; one line each.
 */
export function formatLabelReport(r: LabelReport): string[] {
  const list = (o: Readonly<Record<string, number | undefined>>) => Object.entries(o).filter(([, n]) => n).sort((a, b) => b[1]! - a[1]! || a[0].localeCompare(b[0])).map(([k, n]) => `${k} ${n}`).join(', ');
  const line = (name: string, c: ProvenanceCounts, weight: number) => {
    const by = list(c.contradictedBy);
    const dropped = list(c.dropped).replace(/contradicted \d+/, (m) => (by ? `${m} (by ${by})` : m));
    const parts = [`${name}: ${c.used} of ${c.candidates} used (weight ${weight}${c.audited ? `; ${c.audited} audit-confirmed at weight 1` : ''})`];
    if (dropped) parts.push(`dropped: ${dropped}`);
    if (Object.keys(c.byModel).length) parts.push(`models: ${list(c.byModel)}`);
    if (Object.keys(c.byVariant).some((v) => v !== 'unknown')) parts.push(`prompts: ${list(c.byVariant)}`);
    if (c.measured) parts.push(`${c.agreeing} of ${c.measured} agree with their nearest labelled examples`);
    return `  ${parts.join('; ')}`;
  };
  const off = (on: boolean) => (on ? '' : ' (off)');
  return [
    `Machine labels since ${r.since ?? '—'} (${r.records} answers read${r.withoutText ? `, ${r.withoutText} without a stored text` : ''}${r.truncated ? `, ${r.truncated} oldest left out` : ''}):`,
    line(`LLM${off(r.policy.llm.enabled)}`, r.llm, r.policy.llm.weight),
    line(`self-training${off(r.policy.self.enabled)}`, r.self, r.policy.self.weight),
  ];
}

/** Plain-text gate results for a terminal: one line per gate, failures first; with the run's machine labels first when given. */
export function formatGateOutcome(o: GateOutcome, labels?: LabelReport): string {
  const order = [...o.failed, ...o.results.filter((r) => r.passed)];
  const lines = [...(labels ? [...formatLabelReport(labels), ''] : []), ...order.map((r) => `${r.skipped ? 'SKIP' : r.passed ? 'PASS' : 'FAIL'}  ${r.gate}: ${r.message}`)];
  if (o.comparison) lines.push('', o.comparison.verdict);
  lines.push('', o.passed ? `PASSED: ${o.summary}` : `FAILED: ${o.summary}`);
  return lines.join('\n');
}
