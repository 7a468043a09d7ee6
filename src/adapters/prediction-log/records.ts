import { z } from 'zod';
import { IntentOpsError } from '../../core/errors.js';
import { isoOf } from '../sql/index.js';
import type { PredictionQuery, PredictionRecord, Variant } from '../../ports/prediction-log.js';
import type { Clock, RandomBytes } from '../sql/index.js';

/*
 * The prediction log's input checks, canonical timestamps and row <-> record mapping (the
 * feedback store, in the same database, uses the time and limit checks too).
 */

export interface EventStoreOptions {
  /** Milliseconds since the epoch, for feedback ids and timestamps (tests inject a fake). Default Date.now. */
  readonly now?: Clock;
  /** Random bytes for feedback id tails. Default node:crypto randomBytes. */
  readonly random?: RandomBytes;
  /** PostgreSQL: prefix of the table names. Default `intentops_`. */
  readonly tablePrefix?: string;
  /** PostgreSQL: connections in the pool. Default 4. */
  readonly poolSize?: number;
}

export const VARIANTS = ['champion', 'challenger', 'shadow', 'llm-shadow'] as const satisfies readonly Variant[];

function invalid(message: string, where: string, hint?: string): IntentOpsError {
  return new IntentOpsError('invalid_input', message, { where, hint });
}

/**
 * An ISO-8601 time in the one form stored (`2025-01-01T00:00:00.000Z`), so that SQLite's text
 * comparison and PostgreSQL's timestamptz agree on order.
 */
export function isoTime(value: unknown, field: string): string {
  const ms = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value) ? Date.parse(value) : NaN;
  if (!Number.isFinite(ms)) throw invalid(`${field} must be an ISO-8601 date-time (e.g. 2025-01-31T12:00:00Z), got ${JSON.stringify(value)}`, field);
  return new Date(ms).toISOString();
}

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const text = z.string().min(1, 'must not be empty').max(256, 'must be at most 256 characters');
const recordSchema = z.object({
  id: text,
  at: z.string(),
  model: z.object({ name: z.string(), version: z.string() }),
  variant: z.enum(VARIANTS),
  intent: z.string(),
  confidence: finite,
  route: z.enum(['accepted', 'llm', 'review']),
  reason: z.string(),
  cached: z.boolean(),
  latencyMs: finite.min(0, 'must not be negative'),
  llm: z
    .object({
      model: z.string(),
      variant: z.string().min(1).max(256).optional(),
      promptTokens: z.number().int().min(0),
      completionTokens: z.number().int().min(0),
      costUsd: finite.min(0),
      latencyMs: finite.min(0, 'must not be negative').optional(),
    })
    .optional(),
  text: z.string().optional(),
  features: z.object({ oovShare: finite.optional(), centroidDistance: finite.optional() }).optional(),
  subject: z.string().max(256).optional(),
});

/** Checks a batch before anything is written (one bad record refuses the batch, naming it). */
export function checkRecords(records: readonly PredictionRecord[]): PredictionRecord[] {
  if (!Array.isArray(records)) throw invalid('append takes an array of prediction records', 'prediction log append');
  return records.map((rec, i) => {
    const r = recordSchema.safeParse(rec);
    if (!r.success) {
      const issue = r.error.issues[0];
      const field = issue.path.join('.') || '(record)';
      throw invalid(`prediction record ${i} (${JSON.stringify((rec as { id?: unknown })?.id)}) field ${field}: ${issue.message}`, `prediction record ${i} ${field}`);
    }
    return { ...(r.data as PredictionRecord), at: isoTime(r.data.at, `prediction record ${i} at`) };
  });
}

export interface NormalPredictionQuery {
  readonly since?: string;
  readonly until?: string;
  readonly variant?: Variant;
  readonly limit?: number;
}

export function checkPredictionQuery(q: PredictionQuery = {}): NormalPredictionQuery {
  if (q.variant !== undefined && !VARIANTS.includes(q.variant)) throw invalid(`variant must be one of ${VARIANTS.join(', ')}, got ${JSON.stringify(q.variant)}`, 'query variant');
  return {
    ...(q.since !== undefined && { since: isoTime(q.since, 'since') }),
    ...(q.until !== undefined && { until: isoTime(q.until, 'until') }),
    ...(q.variant !== undefined && { variant: q.variant }),
    ...(q.limit !== undefined && { limit: checkLimit(q.limit) }),
  };
}

export function checkLimit(limit: unknown): number {
  if (typeof limit === 'number' && Number.isSafeInteger(limit) && limit > 0) return limit;
  throw invalid(`limit must be a positive integer, got ${JSON.stringify(limit)}`, 'query limit');
}

/** Columns of prediction_log, in insert order. */
export const PREDICTION_COLUMNS = ['id', 'variant', 'at', 'model_name', 'model_version', 'intent', 'confidence', 'route', 'reason', 'cached', 'latency_ms', 'llm', 'text', 'features', 'subject', 'llm_variant'] as const;

export interface PredictionRow {
  readonly id: string;
  readonly variant: string;
  readonly at: string | Date;
  readonly model_name: string;
  readonly model_version: string;
  readonly intent: string;
  readonly confidence: number;
  readonly route: string;
  readonly reason: string;
  readonly cached: number | boolean;
  readonly latency_ms: number;
  readonly llm: string | PredictionRecord['llm'] | null;
  readonly text: string | null;
  readonly features: string | PredictionRecord['features'] | null;
  readonly subject: string | null;
  /** The LLM variant that answered (schema version 2; null before, and without an LLM call). */
  readonly llm_variant?: string | null;
}

const json = <T>(v: string | T | null): T | null => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

/** Column values for one record, in PREDICTION_COLUMNS order; JSON members as text; `cachedAs` maps the flag to the column type. */
export function predictionValues(r: PredictionRecord, cachedAs: (b: boolean) => unknown): unknown[] {
  return [
    r.id,
    r.variant,
    r.at,
    r.model.name,
    r.model.version,
    r.intent,
    r.confidence,
    r.route,
    r.reason,
    cachedAs(r.cached),
    r.latencyMs,
    r.llm ? JSON.stringify(withoutVariant(r.llm)) : null,
    r.text ?? null,
    r.features ? JSON.stringify(r.features) : null,
    r.subject ?? null,
    r.llm?.variant ?? null,
  ];
}

/** The LLM call's JSON without its variant (stored in its own column, llm_variant). */
function withoutVariant(l: NonNullable<PredictionRecord['llm']>): Omit<NonNullable<PredictionRecord['llm']>, 'variant'> {
  const { variant: _v, ...rest } = l;
  return rest;
}

/** Optional members are absent (not null) so records from both adapters compare equal. */
export function rowToRecord(r: PredictionRow): PredictionRecord {
  const stored = json<PredictionRecord['llm']>(r.llm);
  const llm = stored && r.llm_variant != null ? { ...stored, variant: r.llm_variant } : stored;
  const features = json<PredictionRecord['features']>(r.features);
  return {
    id: r.id,
    at: isoOf(r.at),
    model: { name: r.model_name, version: r.model_version },
    variant: r.variant as Variant,
    intent: r.intent,
    confidence: r.confidence,
    route: r.route as PredictionRecord['route'],
    reason: r.reason,
    cached: r.cached === true || r.cached === 1,
    latencyMs: r.latency_ms,
    ...(llm && { llm }),
    ...(r.text !== null && { text: r.text }),
    ...(features && { features }),
    ...(r.subject !== null && { subject: r.subject }),
  };
}

export function closedError(what: string): IntentOpsError {
  return new IntentOpsError('unavailable', `the ${what} is closed`, { where: what, hint: 'open a new one; close() ends it for good' });
}
