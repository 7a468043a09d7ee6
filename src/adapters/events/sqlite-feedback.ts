import type BetterSqlite3 from 'better-sqlite3';
import type { Feedback, FeedbackStore, NewFeedback } from '../../ports/feedback-store.js';
import { ulidFactory } from '../sql/ids.js';
import { checkFeedback, checkFeedbackQuery, checkWindow, closedError, FEEDBACK_COLUMNS, feedbackValues, isoTime, rowToFeedback, type EventStoreOptions, type FeedbackQuery, type FeedbackRow } from './common.js';
import { closeEventsDb, openEventsDb, PURGE_CHUNK, purgeInChunks, sqliteError, type Db } from './sqlite-db.js';

type Stmt = BetterSqlite3.Statement;

/**
 * Opens the SQLite feedback store at `path` (or `:memory:`, private to this store). Ids are
 * monotonic ULIDs, so they sort by the time feedback was given.
 *
 * @example
 * const store = await openSqliteFeedbackStore('./intentops.db');
 * await store.add({ predictionId: 'r1', correctIntent: 'refund', source: 'ana' });
 */
export async function openSqliteFeedbackStore(path: string, options: EventStoreOptions = {}): Promise<FeedbackStore> {
  return new SqliteFeedbackStore(await openEventsDb(path, 'feedback store'), path, options);
}

class SqliteFeedbackStore implements FeedbackStore {
  private readonly nextId: () => string;
  private readonly now: () => number;
  /** The clock reading of the add in progress: one reading gives both the id and the time. */
  private stamp = 0;
  private readonly insert: Stmt;
  private readonly purgeStmt: Stmt;
  private readonly lists = new Map<string, Stmt>();
  private closed = false;

  constructor(
    private readonly db: Db,
    private readonly path: string,
    options: EventStoreOptions,
  ) {
    this.now = options.now ?? Date.now;
    const { last } = db.prepare('SELECT MAX(id) AS last FROM feedback').get() as { last: string | null };
    this.nextId = ulidFactory(() => this.stamp, options.random, last ?? undefined);
    this.insert = db.prepare(`INSERT INTO feedback (${FEEDBACK_COLUMNS.join(', ')}) VALUES (${FEEDBACK_COLUMNS.map(() => '?').join(', ')}) RETURNING *`);
    this.purgeStmt = db.prepare(`DELETE FROM feedback WHERE rowid IN (SELECT rowid FROM feedback WHERE at < ? LIMIT ${PURGE_CHUNK})`);
  }

  private run<T>(f: () => T): T {
    if (this.closed) throw closedError('SQLite feedback store');
    try {
      return f();
    } catch (e) {
      throw sqliteError(e, this.path);
    }
  }

  async add(f: NewFeedback): Promise<Feedback> {
    const ok = checkFeedback(f);
    return this.run(() => {
      this.stamp = this.now();
      return rowToFeedback(this.insert.get(...feedbackValues(this.nextId(), ok, new Date(this.stamp).toISOString())) as FeedbackRow);
    });
  }

  async list(q?: FeedbackQuery): Promise<Feedback[]> {
    const n = checkFeedbackQuery(q);
    const conds = [n.since !== undefined && 'at >= @since', n.predictionId !== undefined && 'prediction_id = @predictionId'].filter(Boolean);
    const sql = `SELECT * FROM feedback ${conds.length ? `WHERE ${conds.join(' AND ')}` : ''} ORDER BY at, id${n.limit !== undefined ? ' LIMIT @limit' : ''}`;
    return this.run(() => {
      let stmt = this.lists.get(sql);
      if (!stmt) this.lists.set(sql, (stmt = this.db.prepare(sql)));
      return (stmt.all(n) as FeedbackRow[]).map(rowToFeedback);
    });
  }

  async count(q?: { since?: string; until?: string }): Promise<number> {
    const n = checkWindow(q);
    const conds = [n.since !== undefined && 'at >= @since', n.until !== undefined && 'at < @until'].filter(Boolean);
    return this.run(() => (this.db.prepare(`SELECT COUNT(*) AS n FROM feedback ${conds.length ? `WHERE ${conds.join(' AND ')}` : ''}`).get(n) as { n: number }).n);
  }

  async purge(before: string): Promise<number> {
    const cutoff = isoTime(before, 'purge before');
    return purgeInChunks(() => this.run(() => this.purgeStmt.run(cutoff).changes));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await closeEventsDb(this.db);
  }
}
