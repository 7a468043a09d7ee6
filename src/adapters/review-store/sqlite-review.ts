import type BetterSqlite3 from 'better-sqlite3';
import { IntentOpsError } from '../../core/errors.js';
import type { AddOptions, NewReviewItem, ReviewItem, ReviewQuery, ReviewStore } from '../../ports/review-store.js';
import { messageLog } from '../../core/review/index.js';
import { addMessageSql, BACKFILL_BATCH, backfilled, checkAt, checkId, checkNewItem, checkOutcome, checkQuery, checkWho, closedError, INSERT_COLUMNS, itemValues, PENDING_STATES, refusal, rowToItem, textKey, type Outcome, type ReviewRow, type ReviewStoreOptions } from './review-common.js';
import { traced } from './review-trace.js';
import { ulidFactory } from '../sql/ids.js';
import { openSqliteStore } from '../sqlite-open.js';

/*
 * The default review store: one SQLite file (better-sqlite3). WAL lets readers run beside the
 * writer; synchronous=NORMAL under WAL keeps every committed add across a process crash and
 * never corrupts the file (a power cut may drop the last few commits). Each add, claim and
 * resolve is one transaction, so a killed process leaves only whole items.
 */

type Db = BetterSqlite3.Database;
type Stmt = BetterSqlite3.Statement;

/** Versioned DDL: entry i brings the schema to version i + 1. Append only; never edit a shipped entry. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE review_items (
     id            TEXT PRIMARY KEY,
     text          TEXT NOT NULL,
     guess         TEXT NOT NULL,
     confidence    REAL NOT NULL,
     alternatives  TEXT NOT NULL,
     reason        TEXT NOT NULL,
     model_name    TEXT NOT NULL,
     model_version TEXT NOT NULL,
     request_id    TEXT,
     state         TEXT NOT NULL CHECK (state IN ('open', 'claimed', 'labelled', 'skipped')),
     created_at    TEXT NOT NULL,
     updated_at    TEXT NOT NULL,
     claimed_by    TEXT,
     label         TEXT,
     labelled_by   TEXT
   ) STRICT;
   CREATE INDEX review_items_state_id ON review_items (state, id);`,
  // one pending item per normalised text and model version; items from before keep a key of their own
  `ALTER TABLE review_items ADD COLUMN text_key TEXT;
   ALTER TABLE review_items ADD COLUMN seen_count INTEGER NOT NULL DEFAULT 1;
   ALTER TABLE review_items ADD COLUMN last_seen_at TEXT;
   UPDATE review_items SET text_key = 'legacy:' || id, last_seen_at = created_at;
   CREATE UNIQUE INDEX review_items_pending_key ON review_items (text_key, model_name, model_version) WHERE state IN ('open', 'claimed');`,
  // the queue's order (core/review/priority.ts): terms kept per item, filled in for waiting rows on open
  `ALTER TABLE review_items ADD COLUMN recent_log REAL;
   ALTER TABLE review_items ADD COLUMN rank REAL;
   CREATE INDEX review_items_state_rank ON review_items (state, rank DESC, id);`,
];

/** The queue in the order reviewers are served: highest rank first, equal ranks oldest first (SQLite puts NULL last in DESC). */
const BY_PRIORITY = 'ORDER BY rank DESC, id';

/** Who may move an item on: anyone while open, only the claimer once claimed. */
const MAY_ACT = `id = @id AND (state = 'open' OR (state = 'claimed' AND claimed_by = @who))`;



/**
 * Opens (creating and migrating as needed) the SQLite review store at `path` or `:memory:`
 * (a private database that ends with close()).
 *
 * @example
 * const store = await openSqliteReviewStore('./intentops.db');
 * const item = await store.add({ text: 'where is my parcel', guess: 'delivery', confidence: 0.41, alternatives: [], reason: 'low_confidence', model: { name: 'm', version: '1' } });
 * await store.claim(item.id, 'ana');
 */
export async function openSqliteReviewStore(path: string, options: ReviewStoreOptions = {}): Promise<ReviewStore> {
  // an insert per unsure message while serving: checkpoints (fsync) run off the event loop
  const { db, release } = await openSqliteStore(path, { name: 'review', configKey: 'review.uri', migrations: MIGRATIONS }, 'review store');
  return new SqliteReviewStore(db, options, release);
}

/** Gives waiting rows from before the order terms existed their terms (once, at open; at most review.maxOpen rows). */
function backfill(db: Db): void {
  const pick = db.prepare(`SELECT * FROM review_items WHERE rank IS NULL AND ${PENDING_STATES} LIMIT ${BACKFILL_BATCH}`);
  const set = db.prepare('UPDATE review_items SET recent_log = @recentLog, rank = @rank WHERE id = @id');
  const batch = db.transaction(() => {
    const rows = pick.all() as ReviewRow[];
    for (const r of rows) set.run(backfilled(r));
    return rows.length;
  });
  while (batch.immediate() === BACKFILL_BATCH);
}

class SqliteReviewStore implements ReviewStore {
  private readonly nextId: () => string;
  private readonly now: () => number;
  private readonly insert: Stmt;
  private readonly byId: Stmt;
  private readonly claimStmt: Stmt;
  private readonly resolveStmt: Stmt;
  private readonly labelledStmt: Stmt;
  private readonly mergeStmt: Stmt;
  private readonly openCountStmt: Stmt;
  private readonly nextOpenStmt: Stmt;
  private readonly lists = new Map<string, Stmt>();
  private closed = false;

  constructor(
    private readonly db: Db,
    options: ReviewStoreOptions,
    private readonly release?: () => Promise<void>,
  ) {
    this.now = options.now ?? Date.now;
    const { last } = db.prepare('SELECT MAX(id) AS last FROM review_items').get() as { last: string | null };
    this.nextId = ulidFactory(this.now, options.random, last ?? undefined);
    // a repeat of a pending item counts on it; a spooled item written twice (same id) stays one
    this.insert = db.prepare(
      `INSERT INTO review_items (${INSERT_COLUMNS}) VALUES (${INSERT_COLUMNS.split(',').map(() => '?').join(', ')})
       ON CONFLICT (text_key, model_name, model_version) WHERE ${PENDING_STATES} DO UPDATE SET seen_count = seen_count + 1, last_seen_at = MAX(last_seen_at, excluded.last_seen_at),
         ${addMessageSql('', 'excluded.recent_log', 'max', 'min')}
       ON CONFLICT (id) DO NOTHING RETURNING *`,
    );
    this.mergeStmt = db.prepare(
      `UPDATE review_items SET seen_count = seen_count + 1, last_seen_at = MAX(last_seen_at, @at), ${addMessageSql('', '@m', 'max', 'min')}
       WHERE text_key = @key AND model_name = @name AND model_version = @version AND ${PENDING_STATES} RETURNING *`,
    );
    this.nextOpenStmt = db.prepare(`SELECT id FROM review_items WHERE state = 'open' ${BY_PRIORITY} LIMIT 1`);
    backfill(db);
    this.openCountStmt = db.prepare(`SELECT COUNT(*) AS n FROM review_items WHERE state = 'open'`);
    this.byId = db.prepare('SELECT * FROM review_items WHERE id = ?');
    this.claimStmt = db.prepare(`UPDATE review_items SET state = 'claimed', claimed_by = @who, updated_at = @at WHERE ${MAY_ACT} RETURNING *`);
    this.resolveStmt = db.prepare(
      `UPDATE review_items SET state = @state, label = @label, labelled_by = CASE WHEN @state = 'labelled' THEN @who END,
         claimed_by = COALESCE(claimed_by, @who), updated_at = @at WHERE ${MAY_ACT} RETURNING *`,
    );
    this.labelledStmt = db.prepare(`SELECT id, text, label FROM review_items WHERE state = 'labelled' ORDER BY id`);
  }

  private live(): Db {
    if (this.closed) throw closedError('SQLite');
    return this.db;
  }

  private at(): string {
    return new Date(this.now()).toISOString();
  }

  async add(item: NewReviewItem, o: AddOptions = {}): Promise<ReviewItem> {
    return traced('add', () => {
      this.live();
      const ok = checkNewItem(item);
      const id = checkId(o.id);
      // a spooled item written before (a flush retried after a lost answer) stays as it is
      const known = id === undefined ? undefined : (this.byId.get(id) as ReviewRow | undefined);
      if (known) return rowToItem(known);
      const row = this.insert.get(...itemValues(id ?? this.nextId(), ok, checkAt(o.at, this.now))) as ReviewRow | undefined;
      // no row: the id was written before (a spool flushed twice)
      return rowToItem(row ?? (this.byId.get(id) as ReviewRow));
    });
  }

  async merge(item: NewReviewItem, o: Pick<AddOptions, 'at'> = {}): Promise<ReviewItem | undefined> {
    this.live();
    const ok = checkNewItem(item);
    const at = checkAt(o.at, this.now);
    const row = this.mergeStmt.get({ key: textKey(ok.text), name: ok.model.name, version: ok.model.version, at, m: messageLog(Date.parse(at)) }) as ReviewRow | undefined;
    return row && rowToItem(row);
  }

  async openCount(): Promise<number> {
    this.live();
    return (this.openCountStmt.get() as { n: number }).n;
  }

  async get(id: string): Promise<ReviewItem | undefined> {
    this.live();
    const row = this.byId.get(id) as ReviewRow | undefined;
    return row && rowToItem(row);
  }

  async list(q?: ReviewQuery): Promise<ReviewItem[]> {
    const db = this.live();
    const { state, after, limit, order } = checkQuery(q);
    const conds = [state !== undefined && 'state = @state', after !== undefined && 'id > @after'].filter(Boolean);
    const sql = `SELECT * FROM review_items ${conds.length ? `WHERE ${conds.join(' AND ')}` : ''} ${order === 'priority' ? BY_PRIORITY : 'ORDER BY id'} LIMIT @limit`;
    let stmt = this.lists.get(sql);
    if (!stmt) this.lists.set(sql, (stmt = db.prepare(sql)));
    const params = { limit, ...(state !== undefined && { state }), ...(after !== undefined && { after }) };
    return (stmt.all(params) as ReviewRow[]).map(rowToItem);
  }

  /** The guarded UPDATE and, when it matched nothing, the read that explains why, in one transaction. */
  private transition(action: 'claim' | 'resolve', stmt: Stmt, params: Record<string, unknown> & { id: string; who: string }): ReviewItem {
    const db = this.live();
    const run = db.transaction((): [ReviewRow | undefined, ReviewRow | undefined] => {
      const row = stmt.get(params) as ReviewRow | undefined;
      return row ? [row, undefined] : [undefined, this.byId.get(params.id) as ReviewRow | undefined];
    });
    const [row, current] = run.immediate();
    if (row) return rowToItem(row);
    throw refusal(action, params.id, params.who, current);
  }

  async claim(id: string, who: string): Promise<ReviewItem> {
    return traced('claim', () => this.transition('claim', this.claimStmt, { id, who: checkWho(who), at: this.at() }));
  }

  async claimNext(who: string): Promise<ReviewItem | undefined> {
    return traced('claim', () => {
      const params = { who: checkWho(who), at: this.at() };
      const db = this.live();
      // the pick and the claim in one write transaction: another process cannot take the same item in between
      const row = db
        .transaction(() => {
          const next = this.nextOpenStmt.get() as { id: string } | undefined;
          return next && (this.claimStmt.get({ ...params, id: next.id }) as ReviewRow | undefined);
        })
        .immediate();
      return row && rowToItem(row);
    });
  }

  async resolve(id: string, who: string, outcome: Outcome): Promise<ReviewItem> {
    return traced('resolve', () => {
      const { state, label } = checkOutcome(outcome);
      return this.transition('resolve', this.resolveStmt, { id, who: checkWho(who), state, label, at: this.at() });
    });
  }

  /**
   * Runs `run`, which starts several calls whose writes are synchronous (the store thread's
   * batch), in one transaction: one commit for all of them instead of one each. Throws when the
   * commit failed or SQLite rolled the transaction back itself (then none of the writes stayed).
   */
  transact(run: () => void): void {
    const db = this.db;
    if (this.closed || db.inTransaction) return run();
    db.exec('BEGIN');
    try {
      run();
      if (!db.inTransaction) throw new IntentOpsError('unavailable', 'SQLite rolled back a batch of review writes', { where: 'review store' });
      db.exec('COMMIT');
    } catch (e) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw e;
    }
  }

  async labelled(): Promise<{ text: string; label: string; id: string }[]> {
    this.live();
    return this.labelledStmt.all() as { text: string; label: string; id: string }[];
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
    await this.release?.();
  }
}
