import type { Feedback, FeedbackStore, NewFeedback } from '../../ports/feedback-store.js';
import { ulidFactory } from '../sql/ids.js';
import { checkFeedback, checkFeedbackQuery, checkWindow, closedError, FEEDBACK_COLUMNS, feedbackValues, isoTime, rowToFeedback, type EventStoreOptions, type FeedbackQuery, type FeedbackRow } from './common.js';
import { openPgEvents, type PgEvents, purgeOlderThan } from './postgres-db.js';


/**
 * Opens the feedback store in PostgreSQL at `uri`, table `<tablePrefix>feedback`. Ids are ULIDs:
 * within one replica they sort by creation; `list` orders by time, then id.
 *
 * @example
 * const store = await openPostgresFeedbackStore('postgres://postgres@127.0.0.1:5432/intentops');
 * const corrections = (await store.list({ since: '2025-01-01T00:00:00Z' })).filter((f) => f.correctIntent);
 */
export async function openPostgresFeedbackStore(uri: string, options: EventStoreOptions = {}): Promise<FeedbackStore> {
  const pg = await openPgEvents(uri, options, 'feedback store');
  const last = (await pg.query<{ last: string | null }>(`SELECT MAX(id) AS last FROM ${pg.q}feedback`).catch(async (e: unknown) => {
    await pg.pool.end().catch(() => undefined);
    throw e;
  })).rows[0].last;
  return new PostgresFeedbackStore(pg, options, last ?? undefined);
}

class PostgresFeedbackStore implements FeedbackStore {
  private readonly t: string;
  private readonly nextId: () => string;
  private readonly now: () => number;
  /** The clock reading of the add in progress: one reading gives both the id and the time. */
  private stamp = 0;
  private closed = false;

  constructor(
    private readonly pg: PgEvents,
    options: EventStoreOptions,
    lastId: string | undefined,
  ) {
    this.t = `${pg.q}feedback`;
    this.now = options.now ?? Date.now;
    this.nextId = ulidFactory(() => this.stamp, options.random, lastId);
  }

  private live(): PgEvents {
    if (this.closed) throw closedError('PostgreSQL feedback store');
    return this.pg;
  }

  async add(f: NewFeedback): Promise<Feedback> {
    const pg = this.live();
    const ok = checkFeedback(f);
    this.stamp = this.now();
    const values = feedbackValues(this.nextId(), ok, new Date(this.stamp).toISOString());
    const { rows } = await pg.query<FeedbackRow>(`INSERT INTO ${this.t} (${FEEDBACK_COLUMNS.join(', ')}) VALUES (${values.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING *`, values);
    return rowToFeedback(rows[0]);
  }

  async list(q?: FeedbackQuery): Promise<Feedback[]> {
    const pg = this.live();
    const n = checkFeedbackQuery(q);
    const params: unknown[] = [];
    const conds: string[] = [];
    if (n.since !== undefined) conds.push(`at >= $${params.push(n.since)}`);
    if (n.predictionId !== undefined) conds.push(`prediction_id = $${params.push(n.predictionId)}`);
    const limit = n.limit !== undefined ? ` LIMIT $${params.push(n.limit)}` : '';
    const { rows } = await pg.query<FeedbackRow>(`SELECT * FROM ${this.t} ${conds.length ? `WHERE ${conds.join(' AND ')}` : ''} ORDER BY at, id${limit}`, params);
    return rows.map(rowToFeedback);
  }

  async count(q?: { since?: string; until?: string }): Promise<number> {
    const pg = this.live();
    const n = checkWindow(q);
    const params: unknown[] = [];
    const conds: string[] = [];
    if (n.since !== undefined) conds.push(`at >= $${params.push(n.since)}`);
    if (n.until !== undefined) conds.push(`at < $${params.push(n.until)}`);
    const { rows } = await pg.query<{ n: string }>(`SELECT COUNT(*) AS n FROM ${this.t} ${conds.length ? `WHERE ${conds.join(' AND ')}` : ''}`, params);
    return Number(rows[0].n);
  }

  async purge(before: string): Promise<number> {
    const pg = this.live();
    return purgeOlderThan(pg, this.t, isoTime(before, 'purge before'));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pg.pool.end();
  }
}
