import type { Feedback, FeedbackStore, NewFeedback } from '../../ports/feedback-store.js';
import type { EventStoreOptions } from '../prediction-log/records.js';
import { EventsTable, migrateEvents } from '../prediction-log/sql-store.js';
import { countOf, prefixed, ulidFactory, type SqlDb, type SqlValue } from '../sql/index.js';
import { checkFeedback, checkFeedbackQuery, checkWindow, FEEDBACK_COLUMNS, feedbackValues, rowToFeedback, type FeedbackQuery, type FeedbackRow } from './records.js';

/**
 * Feedback on served predictions over the SQL layer (SQLite and PostgreSQL alike), in the events
 * tables beside the prediction log. Ids are monotonic ULIDs, so within one process they sort by
 * the time feedback was given; `list` orders by time, then id.
 */
export class SqlFeedbackStore extends EventsTable implements FeedbackStore {
  private readonly nextId: () => string;
  private readonly now: () => number;
  /** The clock reading of the add in progress: one reading gives both the id and the time. */
  private stamp = 0;

  private constructor(db: SqlDb, options: EventStoreOptions, lastId: string | undefined) {
    super(db, options.tablePrefix, 'feedback', 'feedback store');
    this.now = options.now ?? Date.now;
    this.nextId = ulidFactory(() => this.stamp, options.random, lastId);
  }

  /** Migrates the events tables and returns the store; the store owns `db` (closes it). */
  static async open(db: SqlDb, options: EventStoreOptions = {}): Promise<SqlFeedbackStore> {
    await migrateEvents(db, options.tablePrefix);
    const t = prefixed(db, options.tablePrefix, 'feedback store').t('feedback');
    const [{ last }] = await db.all<{ last: string | null }>(`SELECT MAX(id) AS last FROM ${t}`);
    return new SqlFeedbackStore(db, options, last ?? undefined);
  }

  async add(f: NewFeedback): Promise<Feedback> {
    const db = this.live();
    const ok = checkFeedback(f);
    this.stamp = this.now();
    const values = feedbackValues(this.nextId(), ok, new Date(this.stamp).toISOString()) as SqlValue[];
    const [row] = await db.all<FeedbackRow>(`INSERT INTO ${this.t} (${FEEDBACK_COLUMNS.join(', ')}) VALUES (${values.map(() => '?').join(', ')}) RETURNING *`, values);
    return rowToFeedback(row);
  }

  async list(q?: FeedbackQuery): Promise<Feedback[]> {
    const db = this.live();
    const n = checkFeedbackQuery(q);
    const params: SqlValue[] = [];
    const conds: string[] = [];
    if (n.since !== undefined) conds.push('at >= ?'), params.push(n.since);
    if (n.predictionId !== undefined) conds.push('prediction_id = ?'), params.push(n.predictionId);
    if (n.limit !== undefined) params.push(n.limit);
    const rows = await db.all<FeedbackRow>(`SELECT * FROM ${this.t} ${conds.length ? `WHERE ${conds.join(' AND ')}` : ''} ORDER BY at, id${n.limit !== undefined ? ' LIMIT ?' : ''}`, params);
    return rows.map(rowToFeedback);
  }

  async count(q?: { since?: string; until?: string }): Promise<number> {
    const db = this.live();
    const n = checkWindow(q);
    const params: SqlValue[] = [];
    const conds: string[] = [];
    if (n.since !== undefined) conds.push('at >= ?'), params.push(n.since);
    if (n.until !== undefined) conds.push('at < ?'), params.push(n.until);
    const [row] = await db.all<{ n: unknown }>(`SELECT COUNT(*) AS n FROM ${this.t} ${conds.length ? `WHERE ${conds.join(' AND ')}` : ''}`, params);
    return countOf(row.n);
  }
}
