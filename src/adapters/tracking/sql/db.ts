import { IntentOpsError } from '../../../core/errors.js';

/**
 * The small SQL surface the tracking and registry stores are written against, so each store's
 * logic exists once and runs on SQLite (embedded default) and PostgreSQL (shared) alike.
 * Statements use `?` placeholders; the PostgreSQL connector numbers them.
 */
export type Dialect = 'sqlite' | 'postgres';
export type SqlValue = string | number | null;
export type SqlRow = Record<string, unknown>;

export interface SqlExecutor {
  all<T = SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** Runs a statement; returns the number of rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

export interface SqlDb extends SqlExecutor {
  readonly dialect: Dialect;
  /** The database as shown in messages: path, or URL without password. */
  readonly where: string;
  /** PostgreSQL schema from `?schema=`; tables are qualified with it. */
  readonly schema?: string;
  /**
   * Runs `fn` as one write transaction, committed when it resolves and rolled back when it
   * throws (or the process dies). SQLite: BEGIN IMMEDIATE, so writers queue on the file lock;
   * PostgreSQL: one pooled connection for the whole of `fn`. Inside `fn`, query through `tx`
   * only (the SQLite connection is busy with `fn` until it settles).
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** `name`, qualified with the connection's schema when it has one. */
export function table(db: Pick<SqlDb, 'schema'>, name: string): string {
  return db.schema ? `"${db.schema}"."${name}"` : `"${name}"`;
}

/** JSON columns: SQLite hands back text, PostgreSQL jsonb an already parsed value. */
export function fromJson<T>(v: unknown): T {
  return (typeof v === 'string' ? JSON.parse(v) : v) as T;
}

export function toJson(v: unknown): string {
  return JSON.stringify(v);
}

/** Driver errors as domain errors: what failed, where, and how to get going again. */
export function driverError(e: unknown, where: string, action: string): IntentOpsError {
  if (e instanceof IntentOpsError) return e;
  const err = e as NodeJS.ErrnoException & { code?: string };
  const code = String(err?.code ?? '');
  const msg = err?.message ?? String(e);
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return new IntentOpsError('unavailable', `${action}: the database is locked by another writer (${msg})`, { where, hint: 'retry; if it persists, look for a hung intentops process holding the file', cause: e });
  }
  if (['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'ECONNRESET', '57P01', '57P03', '3D000', '28P01', '28000'].includes(code)) {
    return new IntentOpsError('unavailable', `${action}: cannot reach the database (${msg})`, { where, hint: 'check the store URI, that the server is running and that the database exists', cause: e });
  }
  return new IntentOpsError('internal', `${action}: ${msg}`, { where, cause: e });
}
