import type { PredictionLog, PredictionQuery, PredictionRecord, Variant } from '../../ports/prediction-log.js';
import { checkPredictionQuery, checkRecords, closedError, isoTime, PREDICTION_COLUMNS, predictionValues, rowToRecord, type EventStoreOptions, type NormalPredictionQuery, type PredictionRow } from './common.js';
import { openPgEvents, pgError, type PgEvents, purgeOlderThan } from './postgres-db.js';

/** The WHERE clause for a checked query, with its positional parameters. */
function where(n: NormalPredictionQuery): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const conds: string[] = [];
  if (n.since !== undefined) conds.push(`at >= $${params.push(n.since)}`);
  if (n.until !== undefined) conds.push(`at < $${params.push(n.until)}`);
  if (n.variant !== undefined) conds.push(`variant = $${params.push(n.variant)}`);
  return { sql: conds.length ? `WHERE ${conds.join(' AND ')}` : '', params };
}

/** Rows per INSERT statement (15 parameters each, well under PostgreSQL's 65,535). */
const ROWS_PER_INSERT = 2000;
/** Rows deleted per purge statement: a long purge never holds row locks for long. */

/**
 * Opens the prediction log in PostgreSQL at `uri` (`postgres://user@host:5432/db[?schema=NAME]`),
 * table `<tablePrefix>prediction_log`, shared by every replica.
 *
 * @example
 * const log = await openPostgresPredictionLog('postgres://postgres@127.0.0.1:5432/intentops');
 * const challengerToday = await log.query({ since: '2025-01-31T00:00:00Z', variant: 'challenger' });
 */
export async function openPostgresPredictionLog(uri: string, options: EventStoreOptions = {}): Promise<PredictionLog> {
  return new PostgresPredictionLog(await openPgEvents(uri, options, 'prediction log'));
}

class PostgresPredictionLog implements PredictionLog {
  private readonly t: string;
  private closed = false;

  constructor(private readonly pg: PgEvents) {
    this.t = `${pg.q}prediction_log`;
  }

  private live(): PgEvents {
    if (this.closed) throw closedError('PostgreSQL prediction log');
    return this.pg;
  }

  private insertSql(rows: number): string {
    const n = PREDICTION_COLUMNS.length;
    const tuples = Array.from({ length: rows }, (_, r) => `(${PREDICTION_COLUMNS.map((_, c) => `$${r * n + c + 1}`).join(', ')})`);
    // a retried batch must not fail on what already went in: the first write of an (id, variant) stays
    return `INSERT INTO ${this.t} (${PREDICTION_COLUMNS.join(', ')}) VALUES ${tuples.join(', ')} ON CONFLICT (id, variant) DO NOTHING`;
  }

  async append(records: readonly PredictionRecord[]): Promise<void> {
    const pg = this.live();
    const ok = checkRecords(records);
    if (!ok.length) return;
    const chunks: PredictionRecord[][] = [];
    for (let i = 0; i < ok.length; i += ROWS_PER_INSERT) chunks.push(ok.slice(i, i + ROWS_PER_INSERT));
    const params = (chunk: PredictionRecord[]) => chunk.flatMap((r) => predictionValues(r, (b) => b));
    if (chunks.length === 1) {
      await pg.query(this.insertSql(ok.length), params(ok));
      return;
    }
    // one transaction for the whole batch, whatever its size
    const client = await pg.pool.connect().catch((e: unknown) => {
      throw pgError(e, pg.where);
    });
    try {
      await client.query('BEGIN');
      for (const chunk of chunks) await client.query(this.insertSql(chunk.length), params(chunk));
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw pgError(e, pg.where);
    } finally {
      client.release();
    }
  }

  async get(id: string, variant?: Variant): Promise<PredictionRecord | undefined> {
    const pg = this.live();
    const { rows } =
      variant === undefined
        ? // without a variant: the answer the client got (champion or challenger) before a shadow's
          await pg.query<PredictionRow>(`SELECT * FROM ${this.t} WHERE id = $1 ORDER BY variant IN ('shadow', 'llm-shadow') LIMIT 1`, [id])
        : await pg.query<PredictionRow>(`SELECT * FROM ${this.t} WHERE id = $1 AND variant = $2`, [id, variant]);
    return rows[0] && rowToRecord(rows[0]);
  }

  async query(q?: PredictionQuery): Promise<PredictionRecord[]> {
    const pg = this.live();
    const n = checkPredictionQuery(q);
    const { sql, params } = where(n);
    const limit = n.limit !== undefined ? ` LIMIT $${params.push(n.limit)}` : '';
    const { rows } = await pg.query<PredictionRow>(`SELECT * FROM ${this.t} ${sql} ORDER BY at, id, variant${limit}`, params);
    return rows.map(rowToRecord);
  }

  async count(q?: Omit<PredictionQuery, 'limit'>): Promise<number> {
    const pg = this.live();
    const { sql, params } = where(checkPredictionQuery(q));
    const { rows } = await pg.query<{ n: string }>(`SELECT COUNT(*) AS n FROM ${this.t} ${sql}`, params);
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
