import type BetterSqlite3 from 'better-sqlite3';
import type { PredictionLog, PredictionQuery, PredictionRecord, Variant } from '../../ports/prediction-log.js';
import { checkPredictionQuery, checkRecords, closedError, isoTime, PREDICTION_COLUMNS, predictionValues, rowToRecord, type NormalPredictionQuery, type PredictionRow } from './common.js';
import { closeEventsDb, openEventsDb, PURGE_CHUNK, purgeInChunks, sqliteError, type Db } from './sqlite-db.js';

type Stmt = BetterSqlite3.Statement;

/** The WHERE clause for a checked query (named parameters @since, @until, @variant). */
function where(n: NormalPredictionQuery): string {
  const conds = [n.since !== undefined && 'at >= @since', n.until !== undefined && 'at < @until', n.variant !== undefined && 'variant = @variant'].filter(Boolean);
  return conds.length ? `WHERE ${conds.join(' AND ')}` : '';
}

/**
 * Opens the SQLite prediction log at `path` (or `:memory:`, private to this log).
 *
 * @example
 * const log = await openSqlitePredictionLog('./intentops.db');
 * await log.append([{ id: 'r1', at: new Date().toISOString(), model: { name: 'm', version: 'abc' }, variant: 'champion', intent: 'billing', confidence: 0.93, route: 'accepted', reason: 'confident', cached: false, latencyMs: 2.1 }]);
 * const today = await log.query({ since: '2025-01-31T00:00:00Z' });
 */
export async function openSqlitePredictionLog(path: string): Promise<PredictionLog> {
  return new SqlitePredictionLog(await openEventsDb(path, 'prediction log'), path);
}

class SqlitePredictionLog implements PredictionLog {
  private readonly insert: Stmt;
  private readonly byIdVariant: Stmt;
  private readonly byId: Stmt;
  private readonly purgeStmt: Stmt;
  private readonly queries = new Map<string, Stmt>();
  private readonly appendAll: BetterSqlite3.Transaction<(records: readonly PredictionRecord[]) => void>;
  private closed = false;

  constructor(
    private readonly db: Db,
    private readonly path: string,
  ) {
    // a retried batch must not fail on what already went in: the first write of an (id, variant) stays
    this.insert = db.prepare(`INSERT INTO prediction_log (${PREDICTION_COLUMNS.join(', ')}) VALUES (${PREDICTION_COLUMNS.map(() => '?').join(', ')}) ON CONFLICT (id, variant) DO NOTHING`);
    this.byIdVariant = db.prepare('SELECT * FROM prediction_log WHERE id = ? AND variant = ?');
    // without a variant: the answer the client got (champion or challenger) before a shadow's
    this.byId = db.prepare(`SELECT * FROM prediction_log WHERE id = ? ORDER BY variant IN ('shadow', 'llm-shadow') LIMIT 1`);
    this.purgeStmt = db.prepare(`DELETE FROM prediction_log WHERE rowid IN (SELECT rowid FROM prediction_log WHERE at < ? LIMIT ${PURGE_CHUNK})`);
    this.appendAll = db.transaction((records: readonly PredictionRecord[]) => {
      for (const r of records) this.insert.run(...predictionValues(r, (b) => (b ? 1 : 0)));
    });
  }

  private live(): Db {
    if (this.closed) throw closedError('SQLite prediction log');
    return this.db;
  }

  private run<T>(f: () => T): T {
    this.live();
    try {
      return f();
    } catch (e) {
      throw sqliteError(e, this.path);
    }
  }

  async append(records: readonly PredictionRecord[]): Promise<void> {
    this.live();
    const ok = checkRecords(records);
    if (ok.length) this.run(() => this.appendAll.immediate(ok));
  }

  async get(id: string, variant?: Variant): Promise<PredictionRecord | undefined> {
    const row = this.run(() => (variant === undefined ? this.byId.get(id) : this.byIdVariant.get(id, variant)) as PredictionRow | undefined);
    return row && rowToRecord(row);
  }

  private cached(sql: string): Stmt {
    const db = this.live();
    let stmt = this.queries.get(sql);
    if (!stmt) this.queries.set(sql, (stmt = db.prepare(sql)));
    return stmt;
  }

  async query(q?: PredictionQuery): Promise<PredictionRecord[]> {
    const n = checkPredictionQuery(q);
    const stmt = this.cached(`SELECT * FROM prediction_log ${where(n)} ORDER BY at, id, variant${n.limit !== undefined ? ' LIMIT @limit' : ''}`);
    return this.run(() => (stmt.all(n) as PredictionRow[]).map(rowToRecord));
  }

  async count(q?: Omit<PredictionQuery, 'limit'>): Promise<number> {
    const { limit: _, ...n } = checkPredictionQuery(q);
    const stmt = this.cached(`SELECT COUNT(*) AS n FROM prediction_log ${where(n)}`);
    return this.run(() => (stmt.get(n) as { n: number }).n);
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
