import { IntentOpsError } from '../../core/errors.js';
import { isPgUnavailable } from './pg-errors.js';

/**
 * The small SQL surface every SQL-backed store is written against (review queue, prediction log,
 * feedback, tracking, registry, rollout, loop), so each store's logic exists once and runs on
 * SQLite (embedded default) and PostgreSQL (shared) alike. Statements use `?` placeholders; the
 * PostgreSQL connector numbers them. What still differs between the dialects is spelled out by
 * the helpers below (`table`, `fromJson`, `greatest`, …) or by a `db.dialect` test at the spot.
 */
export type Dialect = 'sqlite' | 'postgres';
/** Booleans: PostgreSQL `boolean` columns; SQLite stores them as 0/1 (pass `flag(db, b)`). */
export type SqlValue = string | number | boolean | null;
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
   * PostgreSQL: one pooled connection for the whole of `fn`. Inside `fn`, query through `tx`.
   *
   * `joinAll` (SQLite; for a caller that owns the connection, as a store thread does): while `fn`
   * runs, every call on the db joins the transaction instead of waiting for it, and a nested
   * transaction becomes a savepoint — so store methods called inside `fn` share its one commit.
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, options?: { readonly joinAll?: boolean }): Promise<T>;
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

/** A boolean as the dialect stores it: PostgreSQL boolean, SQLite 0/1. */
export function flag(db: Pick<SqlDb, 'dialect'>, b: boolean): SqlValue {
  return db.dialect === 'postgres' ? b : b ? 1 : 0;
}

/** The larger / smaller of two SQL values: SQLite's scalar max()/min(), PostgreSQL's GREATEST/LEAST. */
export function greatest(db: Pick<SqlDb, 'dialect'>): string {
  return db.dialect === 'postgres' ? 'GREATEST' : 'MAX';
}
export function least(db: Pick<SqlDb, 'dialect'>): string {
  return db.dialect === 'postgres' ? 'LEAST' : 'MIN';
}

/** A time column read back: PostgreSQL timestamptz gives a Date, SQLite the ISO text stored. */
export function isoOf(t: string | Date): string {
  return t instanceof Date ? t.toISOString() : t;
}

/** An integer aggregate read back: PostgreSQL's COUNT(*) is a bigint, handed over as a string. */
export function countOf(v: unknown): number {
  return Number(v);
}

/**
 * Driver errors as domain errors: what failed, where, and how to get going again.
 * `unavailable` means "try again later" (a locked file, a full disk, a server away: the serving
 * path spools or degrades); `invalid_config` a URI that cannot work (login refused, no such
 * database); `corrupt` a file that is not a database; anything else is `internal`.
 */
export function driverError(e: unknown, where: string, action: string, configKey = 'the store URI'): IntentOpsError {
  if (e instanceof IntentOpsError) return e;
  const err = e as NodeJS.ErrnoException & { code?: string };
  const code = String(err?.code ?? '');
  const msg = err?.message ?? String(e);
  if (code.startsWith('SQLITE_')) {
    if (/^SQLITE_(BUSY|LOCKED|FULL|IOERR)/.test(code)) {
      return new IntentOpsError('unavailable', `${action}: ${msg}`, { where, hint: 'retry; if the file stays locked, look for a hung intentops process holding it; if the disk is full, free space', cause: e });
    }
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
      return new IntentOpsError('corrupt', `${where.replace(/^sqlite:/, '')} is not a readable SQLite database (${msg})`, { where, hint: `restore it from a backup, or point ${configKey} at a new file`, cause: e });
    }
    return new IntentOpsError('internal', `${action}: ${msg}`, { where, cause: e });
  }
  if (code === '28P01' || code === '28000') return new IntentOpsError('invalid_config', `PostgreSQL refused the login: ${msg}`, { where, hint: `check the user and password in ${configKey}`, cause: e });
  if (code === '3D000') return new IntentOpsError('invalid_config', `PostgreSQL: ${msg}`, { where, hint: `create it (createdb NAME) or fix the database name in ${configKey}`, cause: e });
  if (isPgUnavailable(e)) {
    return new IntentOpsError('unavailable', `${action}: cannot reach the database (${msg})`, { where, hint: `check ${configKey}, that the server is running and that the database exists`, cause: e });
  }
  return new IntentOpsError('internal', `${action}: ${msg}`, { where, cause: e });
}

/** The prefix of the review and events tables on PostgreSQL unless a store is told otherwise. */
export const DEFAULT_TABLE_PREFIX = 'intentops_';
const PREFIX = /^[a-z_][a-z0-9_]{0,39}$/;

/**
 * The names of a store's tables when it takes a table prefix (review queue, prediction log,
 * feedback: several deployments or test runs sharing one PostgreSQL database). On SQLite the
 * file is the deployment: no prefix, as the releases before wrote them. `t(name)` is the
 * qualified table, `p` the prefix for index and constraint names ('' on SQLite).
 */
export function prefixed(db: Pick<SqlDb, 'dialect' | 'schema'>, prefix: string | undefined, what: string): { t: (name: string) => string; p: string } {
  const chosen = prefix ?? DEFAULT_TABLE_PREFIX;
  if (!PREFIX.test(chosen)) {
    throw new IntentOpsError('invalid_config', `table prefix ${JSON.stringify(chosen)} must be 1–40 lower-case letters, digits or _, starting with a letter or _`, { where: `${what} tablePrefix` });
  }
  const p = db.dialect === 'postgres' ? chosen : '';
  return { t: (name) => table(db, `${p}${name}`), p };
}

/** A column that identifies a row physically, for chunked deletes: SQLite rowid, PostgreSQL ctid. */
export function rowId(db: Pick<SqlDb, 'dialect'>): string {
  return db.dialect === 'postgres' ? 'ctid' : 'rowid';
}
