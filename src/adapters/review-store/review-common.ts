import { z } from 'zod';
import { IntentOpsError } from '../../core/errors.js';
import { groupKey, hoursOf, messageLog, rankKey, RECENT_RATE } from '../../core/review/index.js';
import type { NewReviewItem, ReviewItem, ReviewOrder, ReviewQuery, ReviewReason, ReviewState } from '../../ports/review-store.js';
import type { Clock, RandomBytes } from '../sql/ids.js';

/*
 * What the SQLite and PostgreSQL review stores share: input checks, row <-> item mapping, and the
 * wording of refused transitions. The adapters own only their SQL.
 */

export interface ReviewStoreOptions {
  /** Milliseconds since the epoch, for ids and timestamps (tests inject a fake). Default Date.now. */
  readonly now?: Clock;
  /** Random bytes for the id tails. Default node:crypto randomBytes. */
  readonly random?: RandomBytes;
  /** PostgreSQL: prefix of the table names (several deployments or test runs in one database). Default `intentops_`. */
  readonly tablePrefix?: string;
  /** PostgreSQL: connections in the pool. Default 10. */
  readonly poolSize?: number;
}

export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 1000;

/** Reasons are open-ended (the classifier's routing reasons, out_of_scope, audit, …): any snake_case word. */
const REASON = /^[a-z][a-z0-9_]{0,63}$/;
const STATES = ['open', 'claimed', 'labelled', 'skipped'] as const satisfies readonly ReviewState[];

const nonEmpty = z.string().trim().min(1, 'must not be empty');
const newItemSchema = z.object({
  text: z.string().min(1, 'must not be empty'),
  guess: z.string(),
  confidence: z.number(),
  alternatives: z.array(z.object({ intent: z.string(), score: z.number() })),
  reason: z.string().regex(REASON, 'must be a snake_case word such as low_confidence'),
  model: z.object({ name: z.string(), version: z.string() }),
  requestId: z.string().optional(),
});

function invalid(message: string, where: string, hint?: string): IntentOpsError {
  return new IntentOpsError('invalid_input', message, { where, hint });
}

/** The item to store, checked field by field (the message names the field). */
export function checkNewItem(item: NewReviewItem): NewReviewItem {
  const r = newItemSchema.safeParse(item);
  // the reason is checked as a snake_case word: the port's list of reasons may grow without a store change
  if (r.success) return r.data as NewReviewItem;
  const issue = r.error.issues[0];
  const field = issue.path.join('.') || '(item)';
  throw invalid(`review item field ${field}: ${issue.message}`, `review item ${field}`);
}

/** A person's name for claim / resolve. */
export function checkWho(who: string): string {
  const r = nonEmpty.safeParse(who);
  if (!r.success) throw invalid('the reviewer name must be a non-empty string', 'reviewer');
  return r.data;
}

export type Outcome = { readonly label: string } | { readonly skip: true };

/** `{ label }` or `{ skip: true }`, normalised to the state and label to store. */
export function checkOutcome(outcome: Outcome): { state: 'labelled' | 'skipped'; label: string | null } {
  const o = outcome as Partial<{ label: unknown; skip: unknown }>;
  if (o && typeof o.label === 'string' && o.skip === undefined) {
    const label = o.label.trim();
    if (label) return { state: 'labelled', label };
  }
  if (o && o.skip === true && o.label === undefined) return { state: 'skipped', label: null };
  throw invalid('the outcome must be { label: "<intent>" } with a non-empty label, or { skip: true }', 'review outcome');
}

export interface NormalQuery {
  readonly state?: ReviewState;
  readonly after?: string;
  readonly limit: number;
  readonly order: ReviewOrder;
}

const ORDERS = ['priority', 'created'] as const satisfies readonly ReviewOrder[];

export function checkQuery(q: ReviewQuery = {}): NormalQuery {
  if (q.state !== undefined && !(STATES as readonly string[]).includes(q.state)) {
    throw invalid(`unknown review state ${JSON.stringify(q.state)}; valid: ${STATES.join(', ')}`, 'state');
  }
  const limit = q.limit ?? DEFAULT_LIST_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    throw invalid(`limit must be an integer from 1 to ${MAX_LIST_LIMIT}, got ${JSON.stringify(q.limit)}`, 'limit', `page with { after: <last id> }`);
  }
  if (q.after !== undefined && typeof q.after !== 'string') throw invalid('after must be an item id', 'after');
  const order = q.order ?? 'created';
  if (!(ORDERS as readonly string[]).includes(order)) throw invalid(`unknown review order ${JSON.stringify(order)}; valid: ${ORDERS.join(', ')}`, 'order');
  // the priority order moves as messages arrive: a cursor into it would skip or repeat items
  if (order === 'priority' && q.after !== undefined) throw invalid('after pages the created order only', 'after', 'pass order: created to page with after, or a larger limit (at most 1000) in the priority order');
  return { state: q.state, after: q.after, limit, order };
}

/** What makes two review messages one item (src/core/review/group.ts); items of different model versions never merge. */
export const textKey = groupKey;

/** A row as both drivers return it (PostgreSQL gives Date and parsed JSON, SQLite strings). */
export interface ReviewRow {
  readonly id: string;
  readonly text: string;
  readonly guess: string;
  readonly confidence: number;
  readonly alternatives: string | readonly { intent: string; score: number }[];
  readonly reason: string;
  readonly model_name: string;
  readonly model_version: string;
  readonly request_id: string | null;
  readonly state: string;
  readonly created_at: string | Date;
  readonly updated_at: string | Date;
  readonly claimed_by: string | null;
  readonly label: string | null;
  readonly labelled_by: string | null;
  readonly seen_count: number | string;
  readonly last_seen_at: string | Date | null;
  /** ln of the recency-weighted message count (core/review/priority.ts); null on rows from before it existed, until backfilled. */
  readonly recent_log: number | null;
  /** The stored order key (rankKey); null as recent_log. */
  readonly rank: number | null;
}

const iso = (t: string | Date) => (t instanceof Date ? t.toISOString() : t);

/** Optional fields are absent (not null) so items from both adapters compare equal. */
export function rowToItem(r: ReviewRow): ReviewItem {
  return {
    id: r.id,
    text: r.text,
    guess: r.guess,
    confidence: r.confidence,
    alternatives: typeof r.alternatives === 'string' ? JSON.parse(r.alternatives) : r.alternatives,
    reason: r.reason as ReviewReason,
    model: { name: r.model_name, version: r.model_version },
    ...(r.request_id !== null && { requestId: r.request_id }),
    state: r.state as ReviewState,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
    ...(r.claimed_by !== null && { claimedBy: r.claimed_by }),
    ...(r.label !== null && { label: r.label }),
    ...(r.labelled_by !== null && { labelledBy: r.labelled_by }),
    count: Number(r.seen_count),
    lastSeenAt: iso(r.last_seen_at ?? r.created_at),
    weightedCount: weighted(r),
  };
}

/** The recency-weighted count as of the last message (time-invariant: it changes only when a message is added). */
function weighted(r: ReviewRow): number {
  const last = Date.parse(iso(r.last_seen_at ?? r.created_at));
  return r.recent_log === null ? Number(r.seen_count) : Math.exp(Number(r.recent_log) - hoursOf(last) * RECENT_RATE);
}

/** The order terms of a row from before they existed: its count, all at its last message. */
export function backfilled(r: ReviewRow): { id: string; recentLog: number; rank: number } {
  const item = rowToItem(r);
  const recentLog = Math.log(Math.max(1, item.count)) + messageLog(Date.parse(item.lastSeenAt));
  return { id: r.id, recentLog, rank: rankKey(item, Date.parse(item.createdAt), recentLog) };
}

/**
 * SET clauses adding one message whose recency term is `m` (an SQL expression) to the row's order
 * terms: recent_log = logaddexp(recent_log, m), and rank moves by the same amount. Both dialects
 * evaluate every right-hand side on the old row. `maxOf`/`minOf`: max/min of two (SQLite max(),
 * PostgreSQL GREATEST()); the small term is cut at e^-50 as in core logAddExp.
 */
export function addMessageSql(cur: string, m: string, maxOf: string, minOf: string): string {
  const lae = `(${maxOf}(${cur}recent_log, ${m}) + ln(1 + exp(-${minOf}(abs(${cur}recent_log - ${m}), 50))))`;
  return `recent_log = ${lae}, rank = ${cur}rank - ${cur}recent_log + ${lae}`;
}

/** Column values for an insert, in COLUMNS order. */
export function itemValues(id: string, item: NewReviewItem, at: string): unknown[] {
  const ms = Date.parse(at);
  const recentLog = messageLog(ms);
  return [id, item.text, item.guess, item.confidence, JSON.stringify(item.alternatives), item.reason, item.model.name, item.model.version, item.requestId ?? null, 'open', at, at, textKey(item.text), 1, at, recentLog, rankKey(item, ms, recentLog)];
}
export const INSERT_COLUMNS = 'id, text, guess, confidence, alternatives, reason, model_name, model_version, request_id, state, created_at, updated_at, text_key, seen_count, last_seen_at, recent_log, rank';

/** Rows whose order terms are missing (written before they existed) and still wait: at most this many per backfill statement. */
export const BACKFILL_BATCH = 500;

/** The states in which an item still waits for a person: a repeat of its text is counted on it. */
export const PENDING_STATES = `state IN ('open', 'claimed')`;

/** An `at` from AddOptions, checked (a spool file is read back from disk). */
export function checkAt(at: string | undefined, now: () => number): string {
  if (at === undefined) return new Date(now()).toISOString();
  const t = Date.parse(at);
  if (!Number.isFinite(t)) throw invalid(`at must be an ISO-8601 time, got ${JSON.stringify(at)}`, 'review item at');
  return new Date(t).toISOString();
}

/** An id from AddOptions: the same shape the stores mint (ULID), so ids keep sorting by creation. */
export function checkId(id: string | undefined): string | undefined {
  if (id === undefined) return undefined;
  if (!/^[0-9A-HJKMNP-TV-Z]{26}$/.test(id)) throw invalid(`id must be a 26-character ULID, got ${JSON.stringify(id)}`, 'review item id');
  return id;
}

/**
 * Why a claim or resolve matched no row: the item is missing, held by someone else, or done.
 * `current` is the row read after the guarded UPDATE changed nothing.
 */
export function refusal(action: 'claim' | 'resolve', id: string, who: string, current: ReviewRow | undefined): IntentOpsError {
  const where = `review item ${id}`;
  if (!current) return new IntentOpsError('not_found', `review item ${JSON.stringify(id)} does not exist`, { where, hint: 'list the queue to see the ids of open items' });
  if (current.state === 'claimed' && current.claimed_by !== who) {
    return action === 'claim'
      ? invalid(`review item ${id} is already claimed by ${JSON.stringify(current.claimed_by)}`, where, 'choose another open item')
      : invalid(`review item ${id} is claimed by ${JSON.stringify(current.claimed_by)}; only they can label or skip it`, where, 'claim an open item first');
  }
  if (current.state === 'labelled' || current.state === 'skipped') {
    const by = current.labelled_by ?? current.claimed_by;
    return invalid(`review item ${id} is already ${current.state}${by ? ` by ${JSON.stringify(by)}` : ''}; it cannot be ${action === 'claim' ? 'claimed' : 'resolved'} again`, where);
  }
  // the guarded UPDATE refused a row that now looks eligible: a concurrent change in between
  return new IntentOpsError('internal', `review item ${id} changed while being ${action === 'claim' ? 'claimed' : 'resolved'}; retry`, { where });
}

export function closedError(what: string): IntentOpsError {
  return new IntentOpsError('unavailable', `the ${what} review store is closed`, { where: 'review store', hint: 'open a new store; close() ends it for good' });
}
