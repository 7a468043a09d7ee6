import type { Pool, QueryResultRow } from 'pg';
import { IntentOpsError } from '../../core/errors.js';
import { isPgUnavailable } from '../sql/pg-errors.js';
import { migratePg } from '../postgres-migrate.js';
import { loadDriver, maskUri } from '../uri.js';
import type { EventStoreOptions } from './common.js';

/*
 * The events tables in PostgreSQL (pg Pool), shared by every replica: <prefix>prediction_log,
 * <prefix>feedback and their own <prefix>events_migrations. `?schema=NAME` in the URI puts them
 * in that schema (created on first use), as for the review, tracking and registry stores.
 */

export const DEFAULT_TABLE_PREFIX = 'intentops_';
const PREFIX = /^[a-z_][a-z0-9_]{0,39}$/;
const SCHEMA = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Versioned DDL (`q` = `"schema".prefix`, `p` = prefix for index names). Append only; never edit a shipped entry. */
export const migrations = (q: string, p: string): readonly string[] => [
  `CREATE TABLE ${q}prediction_log (
     id            text COLLATE "C" NOT NULL,
     variant       text NOT NULL CHECK (variant IN ('champion', 'challenger', 'shadow')),
     at            timestamptz NOT NULL,
     model_name    text NOT NULL,
     model_version text NOT NULL,
     intent        text NOT NULL,
     confidence    double precision NOT NULL,
     route         text NOT NULL,
     reason        text NOT NULL,
     cached        boolean NOT NULL,
     latency_ms    double precision NOT NULL,
     llm           jsonb,
     text          text,
     features      jsonb,
     subject       text,
     PRIMARY KEY (id, variant)
   );
   CREATE INDEX ${p}prediction_log_at ON ${q}prediction_log (at);
   CREATE TABLE ${q}feedback (
     id             text COLLATE "C" PRIMARY KEY,
     prediction_id  text COLLATE "C" NOT NULL,
     correct_intent text,
     rating         smallint CHECK (rating IN (-1, 0, 1)),
     comment        text,
     source         text NOT NULL,
     at             timestamptz NOT NULL
   );
   CREATE INDEX ${p}feedback_at ON ${q}feedback (at);
   CREATE INDEX ${p}feedback_prediction_id ON ${q}feedback (prediction_id);`,
  // 2: the LLM variant that answered (its own column), and variant 'llm-shadow' (an LLM challenger's shadow answer)
  `ALTER TABLE ${q}prediction_log ADD COLUMN llm_variant text;
   DO $$ DECLARE c text; BEGIN
     FOR c IN SELECT conname FROM pg_constraint WHERE conrelid = '${q}prediction_log'::regclass AND contype = 'c' AND pg_get_constraintdef(oid) LIKE '%variant%' LOOP
       EXECUTE format('ALTER TABLE ${q}prediction_log DROP CONSTRAINT %I', c);
     END LOOP;
   END $$;
   ALTER TABLE ${q}prediction_log ADD CONSTRAINT ${p}prediction_log_variant CHECK (variant IN ('champion', 'challenger', 'shadow', 'llm-shadow'));`,
];


/** pg and socket errors as domain errors that say where and what to do. */
export function pgError(e: unknown, where: string): IntentOpsError {
  if (e instanceof IntentOpsError) return e;
  const err = e as Error & { code?: string };
  const msg = err.message || String(e);
  if (err.code === '28P01' || err.code === '28000') return new IntentOpsError('invalid_config', `PostgreSQL refused the login: ${msg}`, { where, hint: 'check the user and password in events.uri', cause: e });
  if (err.code === '3D000') return new IntentOpsError('invalid_config', `PostgreSQL: ${msg}`, { where, hint: 'create it (createdb NAME) or fix the database name in events.uri', cause: e });
  if (isPgUnavailable(e)) {
    return new IntentOpsError('unavailable', `cannot reach PostgreSQL: ${msg}`, { where, hint: 'is the server running and events.uri right?', cause: e });
  }
  return new IntentOpsError('internal', `PostgreSQL query failed: ${msg}`, { where, cause: e });
}


/** Rows deleted per purge statement: a long purge never holds locks on many rows at once. */
export const PG_PURGE_CHUNK = 5000;

/** Deletes rows of `table` with `at` before `cutoff`, a chunk at a time; returns how many. */
export async function purgeOlderThan(pg: Pick<PgEvents, 'query'>, table: string, cutoff: string): Promise<number> {
  let total = 0;
  for (;;) {
    const { rowCount } = await pg.query(`DELETE FROM ${table} WHERE ctid IN (SELECT ctid FROM ${table} WHERE at < $1 LIMIT ${PG_PURGE_CHUNK})`, [cutoff]);
    total += rowCount;
    if (rowCount < PG_PURGE_CHUNK) return total;
  }
}

/** A migrated pool and how to name and report on its tables. */
export interface PgEvents {
  readonly pool: Pool;
  /** `[schema.]prefix` to put before a table name. */
  readonly q: string;
  /** The URI with the password masked, for messages. */
  readonly where: string;
  query<R extends QueryResultRow>(sql: string, params?: unknown[]): Promise<{ rows: R[]; rowCount: number }>;
}

/**
 * Connects to PostgreSQL at `uri` (`postgres://user:pass@host:5432/db[?schema=NAME]`) and creates
 * or migrates the events tables.
 */
export async function openPgEvents(uri: string, options: EventStoreOptions, what: string): Promise<PgEvents> {
  const prefix = options.tablePrefix ?? DEFAULT_TABLE_PREFIX;
  if (!PREFIX.test(prefix)) {
    throw new IntentOpsError('invalid_config', `table prefix ${JSON.stringify(prefix)} must be 1–40 lower-case letters, digits or _, starting with a letter or _`, { where: `${what} tablePrefix` });
  }
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new IntentOpsError('invalid_config', `not a valid PostgreSQL URL: ${maskUri(uri)}`, { where: 'events.uri', hint: 'use postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?schema=NAME]' });
  }
  const schema = url.searchParams.get('schema') ?? undefined;
  if (schema !== undefined && !SCHEMA.test(schema)) {
    throw new IntentOpsError('invalid_config', `schema ${JSON.stringify(schema)} is not a plain SQL identifier`, { where: maskUri(uri), hint: 'use letters, digits and underscores, starting with a letter or _' });
  }
  url.searchParams.delete('schema');
  const where = maskUri(uri);
  const q = `${schema ? `"${schema}".` : ''}${prefix}`;
  const pg = await loadDriver('pg', `${what} (postgres)`, () => import('pg'));
  const pool = new pg.default.Pool({ connectionString: url.href, max: options.poolSize ?? 4, connectionTimeoutMillis: 5000, query_timeout: 10_000, keepAlive: true });
  // an idle connection dropped by the server: the next query simply takes a new one
  pool.on('error', () => undefined);
  try {
    await migratePg(pool, { name: 'events', q, schema, steps: migrations(q, prefix) });
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw pgError(e, where);
  }
  return {
    pool,
    q,
    where,
    async query<R extends QueryResultRow>(sql: string, params: unknown[] = []) {
      try {
        const r = await pool.query<R>(sql, params);
        return { rows: r.rows, rowCount: r.rowCount ?? 0 };
      } catch (e) {
        throw pgError(e, where);
      }
    },
  };
}
