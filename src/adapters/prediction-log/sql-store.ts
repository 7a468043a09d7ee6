import type { PredictionLog, PredictionQuery, PredictionRecord, Variant } from '../../ports/prediction-log.js';
import { countOf, flag, migrate, prefixed, rowId, type SqlDb, type SqlValue } from '../sql/index.js';
import { checkPredictionQuery, checkRecords, closedError, isoTime, PREDICTION_COLUMNS, predictionValues, rowToRecord, type NormalPredictionQuery, type PredictionRow } from './records.js';
import { EVENTS_LEDGER, eventsMigrations } from './schema.js';

/** Rows deleted per purge statement: a long purge never holds the write lock (or many row locks) for long. */
export const PURGE_CHUNK = 5000;

/**
 * Deletes the rows of `t` with `at` before `cutoff`, a chunk per statement, yielding to the event
 * loop (and to writers in other processes) between chunks. Returns how many.
 */
export async function purgeOlderThan(db: SqlDb, t: string, cutoff: string): Promise<number> {
  const id = rowId(db);
  let total = 0;
  for (;;) {
    const n = await db.run(`DELETE FROM ${t} WHERE ${id} IN (SELECT ${id} FROM ${t} WHERE at < ? LIMIT ${PURGE_CHUNK})`, [cutoff]);
    total += n;
    if (n < PURGE_CHUNK) return total;
    await new Promise((r) => setImmediate(r));
  }
}

/** `rows` cut greedily into pieces of the given sizes (largest first); `remainder`: the last piece may be any smaller size. */
function slices<T>(rows: readonly T[], sizes: readonly number[], remainder: boolean): T[][] {
  const out: T[][] = [];
  let i = 0;
  for (const size of sizes) while (rows.length - i >= size) out.push(rows.slice(i, (i += size)));
  if (remainder && i < rows.length) out.push(rows.slice(i));
  return out;
}

/** The WHERE clause for a checked query, with its parameters. */
function where(n: NormalPredictionQuery): { sql: string; params: SqlValue[] } {
  const params: SqlValue[] = [];
  const conds: string[] = [];
  if (n.since !== undefined) conds.push('at >= ?'), params.push(n.since);
  if (n.until !== undefined) conds.push('at < ?'), params.push(n.until);
  if (n.variant !== undefined) conds.push('variant = ?'), params.push(n.variant);
  return { sql: conds.length ? `WHERE ${conds.join(' AND ')}` : '', params };
}

/** Migrates the events tables (prediction log and feedback, one ledger) on `db`. */
export function migrateEvents(db: SqlDb, tablePrefix: string | undefined): Promise<number> {
  const { p } = prefixed(db, tablePrefix, 'events');
  return migrate(db, { versions: `${p}${EVENTS_LEDGER}` }, eventsMigrations(tablePrefix), { what: 'events', configKey: 'events.uri' });
}

/**
 * One table of the events schema (prediction log, feedback) that owns its connection: the table
 * name, refusing calls once closed, the chunked purge by time, and closing the connection once.
 */
export abstract class EventsTable {
  protected readonly t: string;
  protected readonly name: string;
  private closed = false;

  protected constructor(
    protected readonly db: SqlDb,
    tablePrefix: string | undefined,
    table: string,
    what: string,
  ) {
    this.t = prefixed(db, tablePrefix, what).t(table);
    this.name = `${db.dialect === 'postgres' ? 'PostgreSQL' : 'SQLite'} ${what}`;
  }

  protected live(): SqlDb {
    if (this.closed) throw closedError(this.name);
    return this.db;
  }

  async purge(before: string): Promise<number> {
    const db = this.live();
    return purgeOlderThan(db, this.t, isoTime(before, 'purge before'));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.db.close();
  }
}

/**
 * The log of served predictions over the SQL layer: one code for SQLite (the default, in the
 * file the review queue and registry use) and PostgreSQL (shared by replicas).
 */
export class SqlPredictionLog extends EventsTable implements PredictionLog {
  /**
   * Splits a batch into INSERTs. PostgreSQL: up to 2000 rows each (16 parameters a row, under its
   * 65,535), one round trip per 2000. SQLite: statements of 64, 16, 4 and 1 rows, so the few
   * prepared statements stay cached whatever the batch size.
   */
  private readonly chunk: (rows: readonly PredictionRecord[]) => PredictionRecord[][];

  private constructor(db: SqlDb, tablePrefix: string | undefined) {
    super(db, tablePrefix, 'prediction_log', 'prediction log');
    this.chunk = db.dialect === 'postgres' ? (rows) => slices(rows, [2000], true) : (rows) => slices(rows, [64, 16, 4, 1], false);
  }

  /** Migrates the events tables and returns the log; the log owns `db` (closes it). */
  static async open(db: SqlDb, o: { readonly tablePrefix?: string } = {}): Promise<SqlPredictionLog> {
    await migrateEvents(db, o.tablePrefix);
    return new SqlPredictionLog(db, o.tablePrefix);
  }


  private insertSql(rows: number): string {
    const tuple = `(${PREDICTION_COLUMNS.map(() => '?').join(', ')})`;
    // a retried batch must not fail on what already went in: the first write of an (id, variant) stays
    return `INSERT INTO ${this.t} (${PREDICTION_COLUMNS.join(', ')}) VALUES ${Array.from({ length: rows }, () => tuple).join(', ')} ON CONFLICT (id, variant) DO NOTHING`;
  }

  async append(records: readonly PredictionRecord[]): Promise<void> {
    const db = this.live();
    const ok = checkRecords(records);
    if (!ok.length) return;
    const chunks = this.chunk(ok);
    const params = (chunk: PredictionRecord[]) => chunk.flatMap((r) => predictionValues(r, (b) => flag(db, b)) as SqlValue[]);
    if (chunks.length === 1) {
      await db.run(this.insertSql(chunks[0].length), params(chunks[0]));
      return;
    }
    // one transaction for the whole batch, whatever its size
    await db.transaction(async (tx) => {
      for (const chunk of chunks) await tx.run(this.insertSql(chunk.length), params(chunk));
    });
  }

  async get(id: string, variant?: Variant): Promise<PredictionRecord | undefined> {
    const db = this.live();
    const [row] =
      variant === undefined
        ? // without a variant: the answer the client got (champion or challenger) before a shadow's
          await db.all<PredictionRow>(`SELECT * FROM ${this.t} WHERE id = ? ORDER BY variant IN ('shadow', 'llm-shadow') LIMIT 1`, [id])
        : await db.all<PredictionRow>(`SELECT * FROM ${this.t} WHERE id = ? AND variant = ?`, [id, variant]);
    return row && rowToRecord(row);
  }

  async query(q?: PredictionQuery): Promise<PredictionRecord[]> {
    const db = this.live();
    const n = checkPredictionQuery(q);
    const { sql, params } = where(n);
    const limit = n.limit !== undefined ? ' LIMIT ?' : '';
    if (n.limit !== undefined) params.push(n.limit);
    return (await db.all<PredictionRow>(`SELECT * FROM ${this.t} ${sql} ORDER BY at, id, variant${limit}`, params)).map(rowToRecord);
  }

  async count(q?: Omit<PredictionQuery, 'limit'>): Promise<number> {
    const db = this.live();
    const { limit: _, ...n } = checkPredictionQuery(q);
    const { sql, params } = where(n);
    const [row] = await db.all<{ n: unknown }>(`SELECT COUNT(*) AS n FROM ${this.t} ${sql}`, params);
    return countOf(row.n);
  }
}
