import { cpus, hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Manifest } from '../../core/bundle/index.js';
import type { LabelMetrics } from '../../core/eval/index.js';
import type { PerIntentMetrics, Run, RunEnvironment, TrackingStore } from '../../ports/tracking-store.js';
import type { TrainResult } from './train.js';
import type { LabelReport, ProvenanceCounts } from '../../core/labels/index.js';

/** What the caller adds to a training run: it resolves the code version (git) itself. */
export interface RunExtras {
  readonly name?: string;
  readonly codeVersion?: string | null;
  /** Defaults to currentEnvironment(). */
  readonly environment?: RunEnvironment;
  /** Merged over the parameters read from the manifest (e.g. the CLI's flags). */
  readonly params?: Record<string, unknown>;
  readonly tags?: Record<string, string>;
  /** A test-set evaluation of the trained model: adds test metrics and per-intent figures. */
  readonly evaluation?: EvaluationSummary;
}

/** The part of an EvaluationReport a run keeps. */
export interface EvaluationSummary {
  readonly accuracy: number;
  readonly macroF1: number;
  readonly weightedF1: number;
  readonly ece?: number;
  readonly perIntent: readonly LabelMetrics[];
}

export function currentEnvironment(): RunEnvironment {
  return { node: process.version, platform: process.platform, arch: process.arch, cpus: cpus().length };
}

const finite = (m: Record<string, number | null | undefined>): Record<string, number> =>
  Object.fromEntries(Object.entries(m).filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1])));

/** The knobs a training was run with, as recorded in its manifest. */
export function trainingParams(m: Manifest): Record<string, unknown> {
  return {
    seed: m.seed,
    embedder: { name: m.embedder.name, config: m.embedder.config },
    index: m.index.kind,
    validation: m.training.valSource,
    targetPrecision: m.routing.targetPrecision,
    training: m.training.options,
  };
}

/** The figures a training produced: the manifest's metrics plus what it learned and fitted on. */
export function trainingMetrics(m: Manifest): Record<string, number> {
  return finite({
    ...m.metrics,
    trainExamples: m.training.trainExamples,
    valExamples: m.training.valExamples,
    bestEpoch: m.training.bestEpoch,
    labels: m.labels.length,
    indexSize: m.index.size,
    temperature: m.classifier.temperature,
    routingMinConfidence: m.routing.policy.minConfidence,
    routingMinMargin: m.routing.policy.minMargin,
  });
}

export function evaluationFigures(e: EvaluationSummary): { metrics: Record<string, number>; perIntent: PerIntentMetrics } {
  return {
    metrics: finite({ testAccuracy: e.accuracy, testMacroF1: e.macroF1, testWeightedF1: e.weightedF1, testEce: e.ece }),
    perIntent: Object.fromEntries(e.perIntent.map((l) => [l.label, finite({ precision: l.precision, recall: l.recall, f1: l.f1, support: l.support })])),
  };
}

function trainingRecord(result: TrainResult, extra: RunExtras) {
  const ev = extra.evaluation ? evaluationFigures(extra.evaluation) : undefined;
  return {
    metrics: { ...trainingMetrics(result.manifest), ...ev?.metrics },
    perIntent: ev?.perIntent ?? {},
    durationMs: Math.round(result.seconds * 1000),
    bundle: resolve(result.dir),
    tags: extra.tags,
  };
}

function base(extra: RunExtras, name: string, manifest?: Manifest) {
  return {
    name: extra.name ?? name,
    params: { ...(manifest ? trainingParams(manifest) : {}), ...extra.params },
    codeVersion: extra.codeVersion ?? null,
    environment: extra.environment ?? currentEnvironment(),
  };
}

/**
 * Records a finished training as one run, after the fact.
 *
 * @example
 *   const result = await trainModel(req);
 *   const run = await recordTraining(store, result, { codeVersion: gitCommit });
 */
export function recordTraining(store: TrackingStore, result: TrainResult, extra: RunExtras = {}): Promise<Run> {
  const m = result.manifest;
  return store.createRun({ ...base(extra, m.name, m), ...trainingRecord(result, extra), status: 'finished', data: { hash: m.dataHash, report: { ...result.report } } });
}

/**
 * Runs `train` inside a tracked run: created 'running' first, then 'finished' with the
 * results, or 'failed' with the error (which is rethrown), so crashed trainings show up too.
 */
export async function trackTraining(store: TrackingStore, extra: RunExtras & { name: string }, train: () => Promise<TrainResult>, o: { heartbeatMs?: number } = {}): Promise<{ run: Run; result: TrainResult }> {
  const b = base(extra, extra.name);
  // pid, host and a heartbeat (durationMs so far) let a reader tell a killed training from a running one
  const started = await store.createRun({ ...b, environment: { ...b.environment, pid: process.pid, host: hostname() } });
  const t0 = Date.now();
  const beat = setInterval(() => void store.updateRun(started.id, { durationMs: Date.now() - t0 }).catch(() => undefined), o.heartbeatMs ?? 10_000);
  beat.unref();
  let result: TrainResult;
  try {
    result = await train();
  } catch (e) {
    clearInterval(beat);
    await store.updateRun(started.id, { status: 'failed', error: (e as Error)?.message ?? String(e) });
    throw e;
  }
  clearInterval(beat);
  const m = result.manifest;
  // what the trainer resolved (seed, embedder config, options) is only known from the manifest
  const run = await store.updateRun(started.id, {
    ...trainingRecord(result, extra),
    status: 'finished',
    params: { ...trainingParams(m), ...extra.params },
    data: { hash: m.dataHash, report: { ...result.report } },
  });
  return { run, result };
}

/**
 * A retrain run's machine labels as run parameters: per provenance, the candidates, the labels
 * used (by LLM model and prompt variant) and the dropped ones by reason, plus the policy applied.
 */
export function labelParams(r: LabelReport): Record<string, unknown> {
  const side = (c: ProvenanceCounts) => ({ candidates: c.candidates, used: c.used, audited: c.audited, dropped: { ...c.dropped }, ...(Object.keys(c.contradictedBy).length && { contradictedBy: { ...c.contradictedBy } }), ...(Object.keys(c.byModel).length && { byModel: { ...c.byModel } }), ...(Object.keys(c.byVariant).length && { byVariant: { ...c.byVariant } }), ...(c.measured && { measured: c.measured, agreeing: c.agreeing }) });
  return { labels: { since: r.since, records: r.records, withoutText: r.withoutText, truncated: r.truncated, llm: side(r.llm), self: side(r.self), policy: r.policy } };
}

/** The machine labels' counts as run metrics too (labelsLlm, labelsSelf, labelsDropped), so `runs compare` shows their change. */
export function recordLabels(store: TrackingStore, runId: string, r: LabelReport): Promise<Run> {
  const dropped = (c: ProvenanceCounts) => Object.values(c.dropped).reduce((a, b) => a + (b ?? 0), 0);
  return store.updateRun(runId, { metrics: { labelsLlm: r.llm.used, labelsSelf: r.self.used, labelsDropped: dropped(r.llm) + dropped(r.self), labelsWithoutText: r.withoutText } });
}

/** Adds a test-set evaluation to an existing run (metrics prefixed `test`, per-intent figures). */
export function recordEvaluation(store: TrackingStore, runId: string, e: EvaluationSummary): Promise<Run> {
  return store.updateRun(runId, evaluationFigures(e));
}

export interface MetricDelta {
  readonly name: string;
  readonly a: number | null;
  readonly b: number | null;
  /** b − a; null when either side lacks the metric. */
  readonly delta: number | null;
  /** delta / |a|; null when a is 0 or missing. */
  readonly relative: number | null;
}

export interface RunComparison {
  readonly a: { readonly id: string; readonly name: string };
  readonly b: { readonly id: string; readonly name: string };
  readonly sameData: boolean;
  readonly sameCode: boolean;
  /** Parameters that differ, as dotted paths (`training.learningRate`). */
  readonly params: readonly { readonly key: string; readonly a: unknown; readonly b: unknown }[];
  readonly metrics: readonly MetricDelta[];
  /** Per intent, when both runs have per-intent figures; otherwise null. */
  readonly perIntent: readonly { readonly intent: string; readonly metrics: readonly MetricDelta[] }[] | null;
}

function deltas(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): MetricDelta[] {
  const names = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return names.map((name) => {
    const x = Object.hasOwn(a, name) ? a[name] : null;
    const y = Object.hasOwn(b, name) ? b[name] : null;
    const delta = x === null || y === null ? null : y - x;
    return { name, a: x, b: y, delta, relative: delta === null || x === 0 || x === null ? null : delta / Math.abs(x) };
  });
}

function flatten(v: unknown, prefix: string, out: Map<string, string>): Map<string, string> {
  if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length) {
    for (const [k, x] of Object.entries(v)) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) out.set(prefix, JSON.stringify(v));
  return out;
}

/** A pure comparison of run B against run A: metric deltas (B − A), per intent when both have them. */
export function compareRuns(a: Run, b: Run): RunComparison {
  const pa = flatten(a.params, '', new Map());
  const pb = flatten(b.params, '', new Map());
  const keys = [...new Set([...pa.keys(), ...pb.keys()])].sort().filter((k) => pa.get(k) !== pb.get(k));
  const parse = (s: string | undefined) => (s === undefined ? undefined : JSON.parse(s));
  const bothPerIntent = Object.keys(a.perIntent).length > 0 && Object.keys(b.perIntent).length > 0;
  const intents = [...new Set([...Object.keys(a.perIntent), ...Object.keys(b.perIntent)])].sort();
  return {
    a: { id: a.id, name: a.name },
    b: { id: b.id, name: b.name },
    sameData: a.data.hash !== null && a.data.hash === b.data.hash,
    sameCode: a.codeVersion !== null && a.codeVersion === b.codeVersion,
    params: keys.map((key) => ({ key, a: parse(pa.get(key)), b: parse(pb.get(key)) })),
    metrics: deltas(a.metrics, b.metrics),
    perIntent: bothPerIntent ? intents.map((intent) => ({ intent, metrics: deltas(a.perIntent[intent] ?? {}, b.perIntent[intent] ?? {}) })) : null,
  };
}

const num = (x: number | null, signed = false) => (x === null ? '—' : `${signed && x > 0 ? '+' : ''}${Number.isInteger(x) ? x : x.toFixed(4)}`);

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd()).join('\n');
}

/** The comparison as plain-text tables (what `intentops runs compare A B` prints). */
export function formatComparison(c: RunComparison): string {
  const out = [`A ${c.a.id} (${c.a.name})`, `B ${c.b.id} (${c.b.name})`, `data: ${c.sameData ? 'same' : 'different'}, code: ${c.sameCode ? 'same' : 'different or unknown'}`, ''];
  const metricRows = (ms: readonly MetricDelta[], first: string) => [[first, 'A', 'B', 'Δ (B−A)'], ...ms.map((m) => [m.name, num(m.a), num(m.b), num(m.delta, true)])];
  out.push(table(metricRows(c.metrics, 'metric')));
  if (c.params.length) out.push('', table([['parameter', 'A', 'B'], ...c.params.map((p) => [p.key, JSON.stringify(p.a) ?? '—', JSON.stringify(p.b) ?? '—'])]));
  if (c.perIntent) {
    const names = [...new Set(c.perIntent.flatMap((i) => i.metrics.map((m) => m.name)))].filter((n) => n !== 'support');
    const rows = c.perIntent.map((i) => [i.intent, ...names.map((n) => num(i.metrics.find((m) => m.name === n)?.delta ?? null, true))]);
    out.push('', 'per-intent Δ (B−A)', table([['intent', ...names], ...rows]));
  }
  return out.join('\n');
}
