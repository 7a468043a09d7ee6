import type { Pool, QueryResultRow } from 'pg';
import { SpanKind, SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';
import { IntentOpsError } from '../../core/errors.js';
import type { AddOptions, NewReviewItem, ReviewItem, ReviewQuery, ReviewStore } from '../../ports/review-store.js';
import { isPgUnavailable } from '../sql/pg-errors.js';
import { migratePg } from '../postgres-migrate.js';
import { loadDriver, maskUri } from '../uri.js';
import { messageLog } from '../../core/review/index.js';
import { addMessageSql, BACKFILL_BATCH, backfilled, checkAt, checkId, checkNewItem, checkOutcome, checkQuery, checkWho, closedError, INSERT_COLUMNS, itemValues, PENDING_STATES, refusal, rowToItem, textKey, type Outcome, type ReviewRow, type ReviewStoreOptions } from './review-common.js';
import { ulidFactory } from '../sql/ids.js';

/*
 * The review queue in PostgreSQL (pg Pool), for several replicas sharing one queue. Each
 * transition is a single guarded `UPDATE … WHERE state … RETURNING`: row locking makes
 * concurrent claims of one item serialise, and the losers re-check the WHERE after the winner
 * commits, so exactly one wins. Ids are ULIDs compared with COLLATE "C" so their byte order
 * (creation order) holds whatever the database's collation.
 */

export const DEFAULT_TABLE_PREFIX = 'intentops_';
const PREFIX = /^[a-z_][a-z0-9_]{0,39}$/;
const SCHEMA = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Where the tables live: `"schema".` (from `?schema=NAME`) or '' for the search path, and the name prefix. */
interface Names {
  readonly schema?: string;
  /** `[schema.]prefix` to put before a table name. */
  readonly q: string;
  readonly prefix: string;
}

/** Versioned DDL: entry i brings the schema to version i + 1. Append only; never edit a shipped entry. */
const migrations = ({ q, prefix: p }: Names): readonly string[] => [
  `CREATE TABLE ${q}review_items (
     id            text COLLATE "C" PRIMARY KEY,
     text          text NOT NULL,
     guess         text NOT NULL,
     confidence    double precision NOT NULL,
     alternatives  jsonb NOT NULL,
     reason        text NOT NULL,
     model_name    text NOT NULL,
     model_version text NOT NULL,
     request_id    text,
     state         text NOT NULL CHECK (state IN ('open', 'claimed', 'labelled', 'skipped')),
     created_at    timestamptz NOT NULL,
     updated_at    timestamptz NOT NULL,
     claimed_by    text,
     label         text,
     labelled_by   text
   );
   CREATE INDEX ${p}review_items_state_id ON ${q}review_items (state, id);`,
  // one pending item per normalised text and model version; items from before keep a key of their own
  `ALTER TABLE ${q}review_items ADD COLUMN text_key text, ADD COLUMN seen_count integer NOT NULL DEFAULT 1, ADD COLUMN last_seen_at timestamptz;
   UPDATE ${q}review_items SET text_key = 'legacy:' || id, last_seen_at = created_at;
   CREATE UNIQUE INDEX ${p}review_items_pending_key ON ${q}review_items (text_key, model_name, model_version) WHERE state IN ('open', 'claimed');`,
  // the queue's order (core/review/priority.ts): terms kept per item, filled in for waiting rows on open
  `ALTER TABLE ${q}review_items ADD COLUMN recent_log double precision, ADD COLUMN rank double precision;
   CREATE INDEX ${p}review_items_state_rank ON ${q}review_items (state, rank DESC NULLS LAST, id);`,
];

/** The queue in the order reviewers are served: highest rank first, equal ranks oldest first. */
const BY_PRIORITY = 'ORDER BY rank DESC NULLS LAST, id';

/** Gives waiting rows from before the order terms existed their terms (once, at open; at most review.maxOpen rows). */
async function backfill(pool: Pool, t: string): Promise<void> {
  for (;;) {
    const { rows } = await pool.query<ReviewRow>(`SELECT * FROM ${t} WHERE rank IS NULL AND ${PENDING_STATES} LIMIT ${BACKFILL_BATCH}`);
    if (!rows.length) return;
    const terms = rows.map(backfilled);
    await pool.query(
      `UPDATE ${t} AS cur SET recent_log = v.recent_log, rank = v.rank FROM unnest($1::text[], $2::float8[], $3::float8[]) AS v(id, recent_log, rank) WHERE cur.id = v.id`,
      [terms.map((x) => x.id), terms.map((x) => x.recentLog), terms.map((x) => x.rank)],
    );
    if (rows.length < BACKFILL_BATCH) return;
  }
}

type WriteOp = 'add' | 'claim' | 'resolve';
const OPERATION: Readonly<Record<WriteOp, string>> = Object.freeze({ add: 'INSERT', claim: 'UPDATE', resolve: 'UPDATE' });

/** The attributes every span of one store carries (OTel database conventions): where, never a value. */
function spanAttributes(connectionString: string, table: string): Attributes {
  const url = new URL(connectionString);
  return Object.freeze({
    'db.system': 'postgresql',
    'db.system.name': 'postgresql',
    'db.namespace': url.pathname.slice(1),
    'db.collection.name': table,
    // a unix-socket URI (postgres:///db?host=/run/postgresql) names no host
    ...(url.hostname ? { 'server.address': url.hostname, 'server.port': Number(url.port) || 5432 } : {}),
  });
}

/** Who may move an item on: anyone while open, only the claimer ($2) once claimed. */
const MAY_ACT = `id = $1 AND (state = 'open' OR (state = 'claimed' AND claimed_by = $2::text))`;


/** pg and socket errors as domain errors that say where and what to do. */
function translate(e: unknown, where: string): IntentOpsError {
  if (e instanceof IntentOpsError) return e;
  const err = e as Error & { code?: string };
  const msg = err.message || String(e);
  if (err.code === '28P01' || err.code === '28000') return new IntentOpsError('invalid_config', `PostgreSQL refused the login: ${msg}`, { where, hint: 'check the user and password in review.uri', cause: e });
  if (err.code === '3D000') return new IntentOpsError('invalid_config', `PostgreSQL: ${msg}`, { where, hint: 'create it (createdb NAME) or fix the database name in review.uri', cause: e });
  if (isPgUnavailable(e)) {
    return new IntentOpsError('unavailable', `cannot reach PostgreSQL: ${msg}`, { where, hint: 'is the server running and review.uri right?', cause: e });
  }
  return new IntentOpsError('internal', `PostgreSQL query failed: ${msg}`, { where, cause: e });
}


/**
 * Splits `?schema=NAME` (the same parameter the registry and tracking stores read) off the URI;
 * every other parameter (sslmode, application_name, …) is pg's.
 */
function readUri(uri: string, prefix: string): { connectionString: string; names: Names; where: string } {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new IntentOpsError('invalid_config', `not a valid PostgreSQL URL: ${maskUri(uri)}`, { where: 'review store', hint: 'use postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?schema=NAME]' });
  }
  const schema = url.searchParams.get('schema') ?? undefined;
  if (schema !== undefined && !SCHEMA.test(schema)) {
    throw new IntentOpsError('invalid_config', `schema ${JSON.stringify(schema)} is not a plain SQL identifier`, { where: maskUri(uri), hint: 'use letters, digits and underscores, starting with a letter or _' });
  }
  url.searchParams.delete('schema');
  return { connectionString: url.href, names: { schema, prefix, q: `${schema ? `"${schema}".` : ''}${prefix}` }, where: maskUri(uri) };
}

/**
 * Connects to PostgreSQL at `uri` (`postgres://user:pass@host:5432/db[?schema=NAME]`) and creates
 * or migrates the review tables (`<tablePrefix>review_items`, `<tablePrefix>review_migrations`).
 *
 * @example
 * const store = await openPostgresReviewStore('postgres://postgres@127.0.0.1:5432/test', { tablePrefix: 'staging_' });
 * const open = await store.list({ state: 'open', limit: 20 });
 */
export async function openPostgresReviewStore(uri: string, options: ReviewStoreOptions = {}): Promise<ReviewStore> {
  const prefix = options.tablePrefix ?? DEFAULT_TABLE_PREFIX;
  if (!PREFIX.test(prefix)) {
    throw new IntentOpsError('invalid_config', `table prefix ${JSON.stringify(prefix)} must be 1–40 lower-case letters, digits or _, starting with a letter or _`, { where: 'review store tablePrefix' });
  }
  const { connectionString, names, where } = readUri(uri, prefix);
  const pg = await loadDriver('pg', 'review store (postgres)', () => import('pg'));
  // every wait has a deadline: a database that stops answering (not only one that refuses) fails calls
  const pool = new pg.default.Pool({ connectionString, max: options.poolSize ?? 10, connectionTimeoutMillis: 5000, query_timeout: 5000, keepAlive: true });
  // an idle connection dropped by the server: the next query simply takes a new one
  pool.on('error', () => undefined);
  let last: string | undefined;
  try {
    await migratePg(pool, { name: 'review', q: names.q, schema: names.schema, steps: migrations(names), where });
    last = (await pool.query<{ last: string | null }>(`SELECT MAX(id) AS last FROM ${names.q}review_items`)).rows[0].last ?? undefined;
    await backfill(pool, `${names.q}review_items`);
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw translate(e, where);
  }
  return new PostgresReviewStore(pool, names.q, where, options, last, spanAttributes(connectionString, `${names.q}review_items`.replace(/"/g, '')));
}

class PostgresReviewStore implements ReviewStore {
  private readonly nextId: () => string;
  private readonly now: () => number;
  private readonly t: string;
  private closed = false;

  constructor(
    private readonly pool: Pool,
    qualifiedPrefix: string,
    private readonly where: string,
    options: ReviewStoreOptions,
    lastId: string | undefined,
    private readonly spanAttributes: Attributes,
  ) {
    this.t = `${qualifiedPrefix}review_items`;
    this.now = options.now ?? Date.now;
    // ids of other replicas still interleave within one millisecond; only this process's stay ordered
    this.nextId = ulidFactory(this.now, options.random, lastId);
  }

  private async query<R extends QueryResultRow = ReviewRow>(sql: string, params: unknown[] = []): Promise<R[]> {
    if (this.closed) throw closedError('PostgreSQL');
    try {
      return (await this.pool.query<R>(sql, params)).rows;
    } catch (e) {
      throw translate(e, this.where);
    }
  }

  private at(): string {
    return new Date(this.now()).toISOString();
  }

  /**
   * Runs one write inside a `review.<op>` client span (a child of the request's span when tracing
   * is on; the API's no-op otherwise). Failures carry the error code only: a refused claim is
   * tagged, an unreachable or broken database also marks the span failed.
   */
  private async traced<T>(op: WriteOp, fn: () => Promise<T>): Promise<T> {
    const span = trace.getTracer('intentops').startSpan(`review.${op}`, { kind: SpanKind.CLIENT, attributes: this.spanAttributes });
    try {
      span.setAttribute('db.operation.name', OPERATION[op]);
      return await fn();
    } catch (e) {
      const code = e instanceof IntentOpsError ? e.code : 'internal';
      span.setAttribute('error.type', code);
      if (code === 'unavailable' || code === 'internal' || code === 'corrupt') span.setStatus({ code: SpanStatusCode.ERROR });
      throw e;
    } finally {
      span.end();
    }
  }

  async add(item: NewReviewItem, o: AddOptions = {}): Promise<ReviewItem> {
    return this.traced('add', async () => {
      const ok = checkNewItem(item);
      const id = checkId(o.id);
      // a spooled item written before (a flush retried after a lost answer) stays as it is
      if (id !== undefined) {
        const [known] = await this.query(`SELECT * FROM ${this.t} WHERE id = $1`, [id]);
        if (known) return rowToItem(known);
      }
      const values = itemValues(id ?? this.nextId(), ok, checkAt(o.at, this.now));
      // a repeat of a pending item counts on it (row locking serialises concurrent repeats)
      const sql = `INSERT INTO ${this.t} AS cur (${INSERT_COLUMNS}) VALUES (${values.map((_, i) => `$${i + 1}`).join(', ')})
                   ON CONFLICT (text_key, model_name, model_version) WHERE ${PENDING_STATES}
                   DO UPDATE SET seen_count = cur.seen_count + 1, last_seen_at = GREATEST(cur.last_seen_at, EXCLUDED.last_seen_at),
                     ${addMessageSql('cur.', 'EXCLUDED.recent_log', 'GREATEST', 'LEAST')} RETURNING *`;
      try {
        const [row] = await this.query(sql, values);
        return rowToItem(row);
      } catch (e) {
        // a spooled item written before (same id): that item, unchanged
        const cause = (e as { cause?: { code?: string; constraint?: string } }).cause;
        if (id && cause?.code === '23505' && cause.constraint?.endsWith('_pkey')) {
          const [row] = await this.query(`SELECT * FROM ${this.t} WHERE id = $1`, [id]);
          if (row) return rowToItem(row);
        }
        throw e;
      }
    });
  }

  async merge(item: NewReviewItem, o: Pick<AddOptions, 'at'> = {}): Promise<ReviewItem | undefined> {
    const ok = checkNewItem(item);
    const at = checkAt(o.at, this.now);
    const [row] = await this.query(
      `UPDATE ${this.t} SET seen_count = seen_count + 1, last_seen_at = GREATEST(last_seen_at, $4::timestamptz), ${addMessageSql('', '$5::float8', 'GREATEST', 'LEAST')}
       WHERE text_key = $1 AND model_name = $2 AND model_version = $3 AND ${PENDING_STATES} RETURNING *`,
      [textKey(ok.text), ok.model.name, ok.model.version, at, messageLog(Date.parse(at))],
    );
    return row && rowToItem(row);
  }

  async openCount(): Promise<number> {
    const [row] = await this.query<{ n: string }>(`SELECT COUNT(*) AS n FROM ${this.t} WHERE state = 'open'`);
    return Number(row.n);
  }

  async get(id: string): Promise<ReviewItem | undefined> {
    const [row] = await this.query(`SELECT * FROM ${this.t} WHERE id = $1`, [id]);
    return row && rowToItem(row);
  }

  async list(q?: ReviewQuery): Promise<ReviewItem[]> {
    const { state, after, limit, order } = checkQuery(q);
    const params: unknown[] = [limit];
    const conds: string[] = [];
    if (state !== undefined) conds.push(`state = $${params.push(state)}`);
    if (after !== undefined) conds.push(`id > $${params.push(after)}`);
    const rows = await this.query(`SELECT * FROM ${this.t} ${conds.length ? `WHERE ${conds.join(' AND ')}` : ''} ${order === 'priority' ? BY_PRIORITY : 'ORDER BY id'} LIMIT $1`, params);
    return rows.map(rowToItem);
  }

  /** Runs the guarded UPDATE; when it matched nothing, reads the row to say why (states only move forward, so the read cannot make a refused row look eligible except in a race we report). */
  private async transition(action: 'claim' | 'resolve', id: string, who: string, sql: string, params: unknown[]): Promise<ReviewItem> {
    const [row] = await this.query(sql, [id, who, ...params]);
    if (row) return rowToItem(row);
    const [current] = await this.query(`SELECT * FROM ${this.t} WHERE id = $1`, [id]);
    throw refusal(action, id, who, current);
  }

  async claim(id: string, who: string): Promise<ReviewItem> {
    const sql = `UPDATE ${this.t} SET state = 'claimed', claimed_by = $2::text, updated_at = $3 WHERE ${MAY_ACT} RETURNING *`;
    return this.traced('claim', () => this.transition('claim', id, checkWho(who), sql, [this.at()]));
  }

  async claimNext(who: string): Promise<ReviewItem | undefined> {
    // SKIP LOCKED: concurrent callers each take a different item instead of queueing on the first
    const sql = `UPDATE ${this.t} SET state = 'claimed', claimed_by = $1::text, updated_at = $2
                 WHERE id = (SELECT id FROM ${this.t} WHERE state = 'open' ${BY_PRIORITY} LIMIT 1 FOR UPDATE SKIP LOCKED) AND state = 'open' RETURNING *`;
    return this.traced('claim', async () => {
      const [row] = await this.query(sql, [checkWho(who), this.at()]);
      return row && rowToItem(row);
    });
  }

  async resolve(id: string, who: string, outcome: Outcome): Promise<ReviewItem> {
    const sql = `UPDATE ${this.t} SET state = $3::text, label = $4::text, labelled_by = CASE WHEN $3::text = 'labelled' THEN $2::text END,
                   claimed_by = COALESCE(claimed_by, $2::text), updated_at = $5 WHERE ${MAY_ACT} RETURNING *`;
    return this.traced('resolve', async () => {
      const { state, label } = checkOutcome(outcome);
      return this.transition('resolve', id, checkWho(who), sql, [state, label, this.at()]);
    });
  }

  async labelled(): Promise<{ text: string; label: string; id: string }[]> {
    return this.query<{ text: string; label: string; id: string }>(`SELECT id, text, label FROM ${this.t} WHERE state = 'labelled' ORDER BY id`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
