import { IntentOpsError } from '../../../core/errors.js';
import type { SqlDb } from './db.js';
import { openPostgres } from './postgres.js';
import { openSqlite } from './sqlite.js';

/**
 * `sqlite:PATH` (relative to the working directory; `sqlite:///abs/path.db` is also accepted,
 * `sqlite::memory:` is a private in-memory database) and `postgres://…` / `postgresql://…`
 * (optionally `?schema=NAME`), as MLflow picks its stores by URI scheme.
 */
export const sqlBackends = Object.freeze({
  sqlite: { example: 'sqlite:./intentops.db', open: (uri: string) => openSqlite(sqlitePath(uri)) },
  postgres: { example: 'postgres://USER@HOST:5432/DB', open: openPostgres },
  postgresql: { example: 'postgresql://USER@HOST:5432/DB', open: openPostgres },
} satisfies Record<string, { example: string; open: (uri: string) => Promise<SqlDb> }>);

export type SqlScheme = keyof typeof sqlBackends;

/** The path part of a `sqlite:` URI. */
export function sqlitePath(uri: string): string {
  let path = decodeURIComponent(uri.slice('sqlite:'.length).split('?')[0]);
  if (path.startsWith('//')) path = path.slice(2); // sqlite:///abs → /abs, like file:///abs
  if (!path) {
    throw new IntentOpsError('invalid_config', `${uri} names no database file`, { where: 'store URI', hint: 'write sqlite:./intentops.db (or sqlite::memory: for a throw-away store)' });
  }
  return path;
}

/** The scheme of `uri` (lower-cased), or undefined when it has none. */
export function uriScheme(uri: string): string | undefined {
  return /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri)?.[1].toLowerCase();
}

/** Opens the database a store URI names; an unknown scheme fails listing the valid ones. */
export async function openSqlDb(uri: string, what: string): Promise<SqlDb> {
  const scheme = uriScheme(uri);
  if (scheme === undefined || !Object.hasOwn(sqlBackends, scheme)) {
    const valid = Object.values(sqlBackends).map((b) => b.example).join(', ');
    throw new IntentOpsError('invalid_config', `${what} URI ${JSON.stringify(uri.replace(/:[^:@/]*@/, ':***@'))} has ${scheme ? `unknown scheme "${scheme}:"` : 'no scheme'}; valid: ${Object.keys(sqlBackends).map((s) => `${s}:`).join(', ')}`, {
      where: `${what} URI`,
      hint: `use one of: ${valid}`,
    });
  }
  return sqlBackends[scheme as SqlScheme].open(uri);
}
