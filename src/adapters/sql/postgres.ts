import type { Pool as PgPool, PoolClient } from 'pg';
import { IntentOpsError } from '../../core/errors.js';
import { driverError, type SqlDb, type SqlExecutor, type SqlValue } from './db.js';

type PgModule = typeof import('pg');

async function loadDriver(): Promise<PgModule> {
  try {
    const mod = await import('pg');
    return ((mod as unknown as { default?: PgModule }).default ?? mod) as PgModule;
  } catch (cause) {
    throw new IntentOpsError('unavailable', `cannot load pg: ${(cause as Error).message}`, {
      where: 'pg',
      hint: 'npm install pg, or use the default sqlite: store URI',
      cause,
    });
  }
}

/** `?` placeholders → `$1, $2, …` (our statements never contain a literal question mark). */
export function numberPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

const numbered = new Map<string, string>();
/** numberPlaceholders, remembered (the serving path sends the same few statements over and over). */
function pgText(sql: string): string {
  let out = numbered.get(sql);
  if (out === undefined) {
    if (numbered.size >= 512) numbered.clear();
    numbered.set(sql, (out = numberPlaceholders(sql)));
  }
  return out;
}

/** The URL for messages: password masked. */
export function maskUrl(url: URL): string {
  const u = new URL(url.href);
  if (u.password) u.password = '***';
  return u.href;
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export interface PostgresOptions {
  /** Connections in the pool. Default 6. */
  readonly poolSize?: number;
  /** A query that takes longer fails 'unavailable' (a server that stops answering, not only one that refuses). Default 30 s. */
  readonly queryTimeoutMs?: number;
  /** The config key that names the database, for hints (`review.uri`). */
  readonly configKey?: string;
}

/**
 * Connects to PostgreSQL (a small pool). `?schema=NAME` puts the tables in that schema (created
 * on first use), which lets several installations or test runs share one database.
 */
export async function openPostgres(uri: string, o: PostgresOptions = {}): Promise<SqlDb> {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new IntentOpsError('invalid_config', `not a valid PostgreSQL URL: ${uri.replace(/:[^:@/]*@/, ':***@')}`, {
      where: 'store URI',
      hint: 'use postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?schema=NAME]',
    });
  }
  const schema = url.searchParams.get('schema') ?? undefined;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new IntentOpsError('invalid_config', `schema ${JSON.stringify(schema)} is not a plain SQL identifier`, { where: maskUrl(url), hint: 'use letters, digits and underscores, starting with a letter' });
  }
  url.searchParams.delete('schema');
  const where = maskUrl(url);
  const pg = await loadDriver();
  // every wait has a deadline: getting a connection, and each query
  const pool: PgPool = new pg.Pool({ connectionString: url.href, max: o.poolSize ?? 6, connectionTimeoutMillis: 5000, query_timeout: o.queryTimeoutMs ?? 30_000, keepAlive: true });
  // an idle client losing its connection must not crash the process; the next query reports it
  pool.on('error', () => undefined);
  const on = (c: PgPool | PoolClient): SqlExecutor => ({
    async all<T>(sql: string, params: readonly SqlValue[] = []) {
      return (await c.query(pgText(sql), params as SqlValue[])).rows as T[];
    },
    async run(sql: string, params: readonly SqlValue[] = []) {
      return (await c.query(pgText(sql), params as SqlValue[])).rowCount ?? 0;
    },
  });
  const direct = on(pool);
  try {
    await direct.all('SELECT 1');
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw driverError(e, where, 'PostgreSQL', o.configKey);
  }
  const wrap = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      throw driverError(e, where, 'PostgreSQL', o.configKey);
    }
  };
  return {
    dialect: 'postgres',
    where,
    schema,
    all: (sql, params) => wrap(() => direct.all(sql, params)),
    run: (sql, params) => wrap(() => direct.run(sql, params)),
    async transaction(fn) {
      const client = await wrap(() => pool.connect());
      let broken = false;
      try {
        await client.query('BEGIN');
        const out = await fn(on(client));
        await client.query('COMMIT');
        return out;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => (broken = true));
        throw driverError(e, where, 'PostgreSQL transaction', o.configKey);
      } finally {
        client.release(broken);
      }
    },
    close: () => pool.end(),
  };
}
