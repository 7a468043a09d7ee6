import { IntentOpsError } from '../../core/errors.js';
import { messageLog } from '../../core/review/index.js';
import type { AddOptions, NewReviewItem, ReviewItem, ReviewQuery, ReviewStore } from '../../ports/review-store.js';
import { countOf, greatest, least, migrate, prefixed, ulidFactory, type SqlDb, type SqlValue } from '../sql/index.js';
import { addMessageSql, BACKFILL_BATCH, backfilled, checkAt, checkId, checkNewItem, checkOutcome, checkQuery, checkWho, closedError, INSERT_COLUMNS, itemValues, PENDING_STATES, refusal, rowToItem, textKey, type Outcome, type ReviewRow, type ReviewStoreOptions } from './review-common.js';
import { postgresSpans, SQLITE_SPANS, traced, type WriteOp, type WriteSpans } from './review-trace.js';
import { REVIEW_LEDGER, reviewMigrations } from './schema.js';

/*
 * The review queue over the SQL layer: one code for SQLite (the default file, written from a
 * thread of its own while serving) and PostgreSQL (several replicas sharing one queue). Each
 * transition is a single guarded `UPDATE … WHERE state … RETURNING`: on PostgreSQL row locking
 * makes concurrent claims of one item serialise, and the losers re-check the WHERE after the
 * winner commits, so exactly one wins; on SQLite writers are serialised by the file lock. Ids are
 * monotonic ULIDs (ids of other replicas still interleave within one millisecond).
 */

/** Rows per backfill UPDATE (a UNION ALL of this many rows stays under SQLite's 500 compound terms). */
const BACKFILL_ROWS_PER_UPDATE = 250;

export class SqlReviewStore implements ReviewStore {
  private readonly nextId: () => string;
  private readonly now: () => number;
  private readonly t: string;
  private readonly spans: WriteSpans;
  private readonly sql: {
    readonly insert: string;
    readonly merge: string;
    readonly claim: string;
    readonly claimNext: string;
    readonly resolve: string;
    readonly byPriority: string;
  };
  private closed = false;

  private constructor(
    private readonly db: SqlDb,
    options: ReviewStoreOptions,
    lastId: string | undefined,
  ) {
    const { t } = prefixed(db, options.tablePrefix, 'review store');
    this.t = t('review_items');
    this.now = options.now ?? Date.now;
    this.nextId = ulidFactory(this.now, options.random, lastId);
    this.spans = db.dialect === 'postgres' ? postgresSpans(db.where, this.t.replace(/"/g, '')) : SQLITE_SPANS;
    const [max, min] = [greatest(db), least(db)];
    const pg = db.dialect === 'postgres';
    // who may move an item on: anyone while open, only the claimer once claimed (params: id, who)
    const mayAct = `id = ? AND (state = 'open' OR (state = 'claimed' AND claimed_by = CAST(? AS TEXT)))`;
    // highest rank first, equal ranks oldest first; rows not yet ranked last
    const byPriority = pg ? 'ORDER BY rank DESC NULLS LAST, id' : 'ORDER BY rank DESC, id';
    this.sql = {
      byPriority,
      // a repeat of a pending item counts on it; a spooled item written twice (same id) stays one
      // (SQLite: the second ON CONFLICT; PostgreSQL takes one: the key violation is caught in add)
      insert: `INSERT INTO ${this.t} AS cur (${INSERT_COLUMNS}) VALUES (${INSERT_COLUMNS.split(',').map(() => '?').join(', ')})
               ON CONFLICT (text_key, model_name, model_version) WHERE ${PENDING_STATES}
               DO UPDATE SET seen_count = cur.seen_count + 1, last_seen_at = ${max}(cur.last_seen_at, excluded.last_seen_at), ${addMessageSql('cur.', 'excluded.recent_log', max, min)}
               ${pg ? '' : 'ON CONFLICT (id) DO NOTHING '}RETURNING *`,
      // params: at, m ×4 (addMessageSql names it four times), key, name, version
      merge: `UPDATE ${this.t} SET seen_count = seen_count + 1, last_seen_at = ${max}(last_seen_at, ?), ${addMessageSql('', 'CAST(? AS DOUBLE PRECISION)', max, min)}
              WHERE text_key = ? AND model_name = ? AND model_version = ? AND ${PENDING_STATES} RETURNING *`,
      // params: who, at, id, who
      claim: `UPDATE ${this.t} SET state = 'claimed', claimed_by = ?, updated_at = ? WHERE ${mayAct} RETURNING *`,
      // the pick and the claim in one statement; PostgreSQL: SKIP LOCKED, so concurrent callers each take a different item
      claimNext: `UPDATE ${this.t} SET state = 'claimed', claimed_by = ?, updated_at = ?
                  WHERE id = (SELECT id FROM ${this.t} WHERE state = 'open' ${byPriority} LIMIT 1${pg ? ' FOR UPDATE SKIP LOCKED' : ''}) AND state = 'open' RETURNING *`,
      // params: state, label, state, who, who, at, id, who
      resolve: `UPDATE ${this.t} SET state = ?, label = ?, labelled_by = CASE WHEN CAST(? AS TEXT) = 'labelled' THEN CAST(? AS TEXT) END,
                  claimed_by = COALESCE(claimed_by, CAST(? AS TEXT)), updated_at = ? WHERE ${mayAct} RETURNING *`,
    };
  }

  /** Migrates the review table (adopting the ledger of earlier releases), backfills order terms, and returns the store; it owns `db`. */
  static async open(db: SqlDb, options: ReviewStoreOptions = {}): Promise<SqlReviewStore> {
    const { t, p } = prefixed(db, options.tablePrefix, 'review store');
    await migrate(db, { versions: `${p}${REVIEW_LEDGER}` }, reviewMigrations(options.tablePrefix), { what: 'review', configKey: 'review.uri' });
    const [{ last }] = await db.all<{ last: string | null }>(`SELECT MAX(id) AS last FROM ${t('review_items')}`);
    await backfill(db, t('review_items'));
    return new SqlReviewStore(db, options, last ?? undefined);
  }

  private live(): SqlDb {
    if (this.closed) throw closedError(this.db.dialect === 'postgres' ? 'PostgreSQL' : 'SQLite');
    return this.db;
  }

  private at(): string {
    return new Date(this.now()).toISOString();
  }

  private traced<T>(op: WriteOp, fn: () => Promise<T>): Promise<T> {
    return traced(op, fn, this.spans);
  }

  private async byId(id: string): Promise<ReviewRow | undefined> {
    return (await this.live().all<ReviewRow>(`SELECT * FROM ${this.t} WHERE id = ?`, [id]))[0];
  }

  async add(item: NewReviewItem, o: AddOptions = {}): Promise<ReviewItem> {
    return this.traced('add', async () => {
      const db = this.live();
      const ok = checkNewItem(item);
      const id = checkId(o.id);
      // a spooled item written before (a flush retried after a lost answer) stays as it is
      if (id !== undefined) {
        const known = await this.byId(id);
        if (known) return rowToItem(known);
      }
      const values = itemValues(id ?? this.nextId(), ok, checkAt(o.at, this.now)) as SqlValue[];
      try {
        const [row] = await db.all<ReviewRow>(this.sql.insert, values);
        if (row) return rowToItem(row);
      } catch (e) {
        // PostgreSQL: the id was written before (a spool flushed twice); any other failure is one
        const cause = (e as { cause?: { code?: string; constraint?: string } }).cause;
        if (!(id && cause?.code === '23505' && cause.constraint?.endsWith('_pkey'))) throw e;
      }
      // no row (SQLite) or a key violation (PostgreSQL): that item, unchanged
      const row = id === undefined ? undefined : await this.byId(id);
      if (!row) throw new IntentOpsError('internal', 'the review store wrote no row and has none under the id', { where: `review item ${id ?? '(new)'}` });
      return rowToItem(row);
    });
  }

  async merge(item: NewReviewItem, o: Pick<AddOptions, 'at'> = {}): Promise<ReviewItem | undefined> {
    const db = this.live();
    const ok = checkNewItem(item);
    const at = checkAt(o.at, this.now);
    const m = messageLog(Date.parse(at));
    const [row] = await db.all<ReviewRow>(this.sql.merge, [at, m, m, m, m, textKey(ok.text), ok.model.name, ok.model.version]);
    return row && rowToItem(row);
  }

  async openCount(): Promise<number> {
    const [row] = await this.live().all<{ n: unknown }>(`SELECT COUNT(*) AS n FROM ${this.t} WHERE state = 'open'`);
    return countOf(row.n);
  }

  async get(id: string): Promise<ReviewItem | undefined> {
    const row = await this.byId(id);
    return row && rowToItem(row);
  }

  async list(q?: ReviewQuery): Promise<ReviewItem[]> {
    const db = this.live();
    const { state, after, limit, order } = checkQuery(q);
    const params: SqlValue[] = [];
    const conds: string[] = [];
    if (state !== undefined) conds.push('state = ?'), params.push(state);
    if (after !== undefined) conds.push('id > ?'), params.push(after);
    params.push(limit);
    const rows = await db.all<ReviewRow>(`SELECT * FROM ${this.t} ${conds.length ? `WHERE ${conds.join(' AND ')}` : ''} ${order === 'priority' ? this.sql.byPriority : 'ORDER BY id'} LIMIT ?`, params);
    return rows.map(rowToItem);
  }

  /**
   * Runs the guarded UPDATE; when it matched nothing, reads the row to say why (states only move
   * forward, so the read cannot make a refused row look eligible except in a race we report).
   */
  private async transition(action: 'claim' | 'resolve', id: string, who: string, sql: string, params: SqlValue[]): Promise<ReviewItem> {
    const [row] = await this.live().all<ReviewRow>(sql, params);
    if (row) return rowToItem(row);
    throw refusal(action, id, who, await this.byId(id));
  }

  async claim(id: string, who: string): Promise<ReviewItem> {
    return this.traced('claim', () => {
      const w = checkWho(who);
      return this.transition('claim', id, w, this.sql.claim, [w, this.at(), id, w]);
    });
  }

  async claimNext(who: string): Promise<ReviewItem | undefined> {
    return this.traced('claim', async () => {
      const [row] = await this.live().all<ReviewRow>(this.sql.claimNext, [checkWho(who), this.at()]);
      return row && rowToItem(row);
    });
  }

  async resolve(id: string, who: string, outcome: Outcome): Promise<ReviewItem> {
    return this.traced('resolve', () => {
      const { state, label } = checkOutcome(outcome);
      const w = checkWho(who);
      return this.transition('resolve', id, w, this.sql.resolve, [state, label, state, w, w, this.at(), id, w]);
    });
  }

  /**
   * Runs `run` (the store thread's batch: the calls that arrived together, one after another) in
   * one transaction: one commit for all of them instead of one each. Rejects when the commit
   * failed (then none of their writes stayed).
   */
  async transact(run: () => Promise<unknown>): Promise<void> {
    if (this.closed) {
      await run();
      return;
    }
    // the thread owns the connection and handles one message at a time: every call joins
    await this.db.transaction(async () => {
      await run();
    }, { joinAll: true });
  }

  async labelled(): Promise<{ text: string; label: string; id: string }[]> {
    return this.live().all<{ text: string; label: string; id: string }>(`SELECT id, text, label FROM ${this.t} WHERE state = 'labelled' ORDER BY id`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.db.close();
  }
}

/** Gives waiting rows from before the order terms existed their terms (once, at open; at most review.maxOpen rows). */
async function backfill(db: SqlDb, t: string): Promise<void> {
  for (;;) {
    const rows = await db.all<ReviewRow>(`SELECT * FROM ${t} WHERE rank IS NULL AND ${PENDING_STATES} LIMIT ${BACKFILL_BATCH}`);
    if (!rows.length) return;
    const terms = rows.map(backfilled);
    await db.transaction(async (tx) => {
      for (let i = 0; i < terms.length; i += BACKFILL_ROWS_PER_UPDATE) {
        const chunk = terms.slice(i, i + BACKFILL_ROWS_PER_UPDATE);
        const values = chunk.map(() => 'SELECT CAST(? AS TEXT) AS id, CAST(? AS DOUBLE PRECISION) AS recent_log, CAST(? AS DOUBLE PRECISION) AS rank').join(' UNION ALL ');
        await tx.run(`UPDATE ${t} AS cur SET recent_log = v.recent_log, rank = v.rank FROM (${values}) AS v WHERE cur.id = v.id`, chunk.flatMap((x) => [x.id, x.recentLog, x.rank]));
      }
    });
    if (rows.length < BACKFILL_BATCH) return;
  }
}
