import { IntentOpsError } from '../../core/errors.js';
import { pickByScheme } from '../uri.js';
import type { SqlDb } from './db.js';
import { openPostgres, type PostgresOptions } from './postgres.js';
import { openSqlite, type SqliteOptions } from './sqlite.js';

/** How a store wants its connection: the SQLite and PostgreSQL knobs it cares about. */
export type SqlOpenOptions = SqliteOptions & PostgresOptions;

/**
 * `sqlite:PATH` (relative to the working directory; `sqlite:///abs/path.db` is also accepted,
 * `sqlite::memory:` is a private in-memory database) and `postgres://…` / `postgresql://…`
 * (optionally `?schema=NAME`), as MLflow picks its stores by URI scheme. Every SQL-backed store
 * (review, prediction log, feedback, tracking, registry, rollout, loop) reads its URI here.
 */
export const sqlBackends = Object.freeze({
  sqlite: { example: 'sqlite:./intentops.db', open: (_uri: string, rest: string, o: SqlOpenOptions) => openSqlite(sqlitePath(`sqlite:${rest}`), o) },
  postgres: { example: 'postgres://USER@HOST:5432/DB', open: (uri: string, _rest: string, o: SqlOpenOptions) => openPostgres(uri, o) },
  postgresql: { example: 'postgresql://USER@HOST:5432/DB', open: (uri: string, _rest: string, o: SqlOpenOptions) => openPostgres(uri, o) },
} satisfies Record<string, { example: string; open: (uri: string, rest: string, o: SqlOpenOptions) => Promise<SqlDb> }>);

export type SqlScheme = keyof typeof sqlBackends;

/** The URI forms accepted by every SQL store, as listed in errors. */
export const SQL_STORE_URIS = Object.freeze(['sqlite:PATH (e.g. sqlite:./intentops.db)', 'sqlite::memory:', 'postgres://USER[:PASSWORD]@HOST:PORT/DB[?schema=NAME]', 'postgresql://…']);

/**
 * The file path of a `sqlite:` URI (the `sqlite:` prefix may be left off): read literally, or
 * after `//` in the URL form (`sqlite:///abs/path.db` is `/abs/path.db`, like file:///); a
 * `?…` suffix is ignored; `:memory:` is a private in-memory database.
 */
export function sqlitePath(uri: string): string {
  const rest = /^sqlite:/i.test(uri) ? uri.slice('sqlite:'.length) : uri;
  let path = decodeURIComponent(rest.split('?')[0]);
  if (path.startsWith('//')) path = path.slice(2); // sqlite:///abs → /abs, like file:///abs
  if (!path.trim()) {
    throw new IntentOpsError('invalid_config', `sqlite:${rest} names no database file: it needs a file path or :memory:`, { where: 'store URI', hint: 'write sqlite:./intentops.db (or sqlite::memory: for a throw-away store)' });
  }
  return path;
}

/** The scheme of `uri` (lower-cased), or undefined when it has none. */
export function uriScheme(uri: string): string | undefined {
  return /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri)?.[1].toLowerCase();
}

/** Opens the database a store URI names; an unknown scheme fails 'invalid_config' listing the valid forms. */
export async function openSqlDb(uri: string, what: string, o: SqlOpenOptions = {}): Promise<SqlDb> {
  const { entry, rest } = pickByScheme(sqlBackends, uri, what, SQL_STORE_URIS);
  return entry.open(uri, rest, o);
}

/**
 * Which dialect a store URI names, and the SQLite path when it is a file — for the stores that
 * open SQLite their own way (on a thread of their own). Fails as openSqlDb does.
 */
export function pickSqlBackend(uri: string, what: string): { dialect: 'sqlite' | 'postgres'; path: string } {
  const { entry, rest } = pickByScheme(sqlBackends, uri, what, SQL_STORE_URIS);
  return entry === sqlBackends.sqlite ? { dialect: 'sqlite', path: sqlitePath(`sqlite:${rest}`) } : { dialect: 'postgres', path: '' };
}
