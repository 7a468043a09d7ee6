import { IntentOpsError } from '../../core/errors.js';
import type { NewRun, PerIntentMetrics, Run, RunPatch, RunStatus } from '../../ports/tracking-store.js';

/**
 * The rules every tracking adapter shares, kept out of the SQL: validation, how a patch
 * merges into a run, and the row shape both dialects store.
 */
export const RUN_STATUSES: readonly RunStatus[] = Object.freeze(['running', 'finished', 'failed']);

const bad = (field: string, message: string, hint?: string) => new IntentOpsError('invalid_input', `run ${field}: ${message}`, { where: `run.${field}`, hint });

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON-normalised copy (drops undefined, fails on what JSON cannot hold). */
function plain<T>(v: T, field: string): T {
  try {
    return JSON.parse(JSON.stringify(v)) as T;
  } catch (e) {
    throw bad(field, `cannot be stored as JSON (${(e as Error).message})`);
  }
}

export function checkMetrics(m: unknown, field = 'metrics'): Record<string, number> {
  if (!isPlainObject(m)) throw bad(field, 'must be an object of name → number');
  for (const [k, v] of Object.entries(m)) {
    if (!k) throw bad(field, 'a metric has an empty name');
    if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(`${field}.${k}`, `must be a finite number, got ${JSON.stringify(v) ?? String(v)}`, 'drop metrics that could not be computed instead of storing NaN or null');
  }
  return { ...(m as Record<string, number>) };
}

function checkPerIntent(p: unknown): Record<string, Record<string, number>> {
  if (!isPlainObject(p)) throw bad('perIntent', 'must be an object of intent → metrics');
  return Object.fromEntries(Object.entries(p).map(([intent, m]) => [intent, checkMetrics(m, `perIntent.${intent}`)]));
}

function checkTags(t: unknown): Record<string, string> {
  if (!isPlainObject(t) || Object.values(t).some((v) => typeof v !== 'string')) throw bad('tags', 'must be an object of name → string');
  return { ...(t as Record<string, string>) };
}

function checkDuration(d: unknown): number {
  if (typeof d !== 'number' || !Number.isFinite(d) || d < 0) throw bad('durationMs', `must be a non-negative number, got ${String(d)}`);
  return d;
}

function mergePerIntent(a: PerIntentMetrics, b: PerIntentMetrics): PerIntentMetrics {
  const out: Record<string, Record<string, number>> = { ...a };
  for (const [intent, m] of Object.entries(b)) out[intent] = { ...a[intent], ...m };
  return out;
}

/** The stored form of a new run, validated and JSON-normalised. */
export function buildRun(input: NewRun, id: string, now: string): Run {
  if (typeof input.name !== 'string' || !input.name.trim()) throw bad('name', 'must be a non-empty string');
  const status = input.status ?? 'running';
  if (!RUN_STATUSES.includes(status)) throw bad('status', `must be one of ${RUN_STATUSES.join(', ')}`);
  if (!isPlainObject(input.environment)) throw bad('environment', 'is required (node, platform, arch, cpus)');
  if (input.params !== undefined && !isPlainObject(input.params)) throw bad('params', 'must be an object');
  const done = status !== 'running';
  return {
    id,
    name: input.name,
    status,
    params: plain(input.params ?? {}, 'params'),
    data: { hash: input.data?.hash ?? null, report: plain(input.data?.report ?? null, 'data.report') },
    metrics: checkMetrics(input.metrics ?? {}),
    perIntent: checkPerIntent(input.perIntent ?? {}),
    durationMs: input.durationMs == null ? null : checkDuration(input.durationMs),
    codeVersion: input.codeVersion ?? null,
    environment: plain(input.environment, 'environment'),
    bundle: input.bundle ?? null,
    tags: checkTags(input.tags ?? {}),
    error: input.error ?? null,
    createdAt: now,
    finishedAt: done ? now : null,
  };
}

/** `run` with `patch` applied at time `now` (ISO). */
export function applyPatch(run: Run, patch: RunPatch, now: string): Run {
  let next: Run = { ...run };
  if (patch.status !== undefined) {
    if (patch.status !== 'finished' && patch.status !== 'failed') throw bad('status', `can only change to finished or failed, not ${JSON.stringify(patch.status)}`);
    if (run.status !== 'running') {
      throw new IntentOpsError('invalid_input', `run ${run.id} is already ${run.status}; its status cannot change`, { where: `run ${run.id}`, hint: 'start a new run instead' });
    }
    const elapsed = Math.max(0, Date.parse(now) - Date.parse(run.createdAt));
    next = { ...next, status: patch.status, finishedAt: now, durationMs: patch.durationMs === undefined ? elapsed : checkDuration(patch.durationMs) };
  } else if (patch.durationMs !== undefined) {
    next = { ...next, durationMs: checkDuration(patch.durationMs) };
  }
  if (patch.params) {
    if (!isPlainObject(patch.params)) throw bad('params', 'must be an object');
    next = { ...next, params: { ...run.params, ...plain(patch.params, 'params') } };
  }
  if (patch.data) next = { ...next, data: { hash: patch.data.hash ?? null, report: plain(patch.data.report ?? null, 'data.report') } };
  if (patch.metrics) next = { ...next, metrics: { ...run.metrics, ...checkMetrics(patch.metrics) } };
  if (patch.perIntent) next = { ...next, perIntent: mergePerIntent(run.perIntent, checkPerIntent(patch.perIntent)) };
  if (patch.tags) next = { ...next, tags: { ...run.tags, ...checkTags(patch.tags) } };
  if (patch.bundle !== undefined) next = { ...next, bundle: patch.bundle };
  if (patch.error !== undefined) next = { ...next, error: patch.error };
  return next;
}
