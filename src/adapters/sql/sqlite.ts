import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { IntentOpsError } from '../../core/errors.js';
import { driverError, type SqlDb, type SqlExecutor, type SqlValue } from './db.js';
import { checkpointInBackground } from './sqlite-checkpointer.js';

type DatabaseCtor = typeof BetterSqlite3;

async function loadDriver(): Promise<DatabaseCtor> {
  try {
    return (await import('better-sqlite3')).default;
  } catch (cause) {
    throw new IntentOpsError('unavailable', `cannot load better-sqlite3: ${(cause as Error).message}`, {
      where: 'better-sqlite3',
      hint: 'npm install better-sqlite3 (it builds a native module; `npm rebuild better-sqlite3` if Node was upgraded), or use a postgres:// store URI',
      cause,
    });
  }
}

export interface SqliteOptions {
  /**
   * FULL (default): a commit the caller saw survives power loss (the registry relies on it after
   * an artifact put). NORMAL: it survives a process crash; only checkpoints fsync — for the
   * stores written per request (review queue, prediction log, feedback).
   */
  readonly synchronous?: 'FULL' | 'NORMAL';
  /** Checkpoint the WAL from a background thread instead of inside a commit (see sqlite-checkpointer.ts). */
  readonly checkpointInBackground?: boolean;
  /** How long a write waits for another process's lock before failing 'unavailable'. Default 10 s. */
  readonly busyTimeoutMs?: number;
  /** The config key that names the file, for hints (`review.uri`). */
  readonly configKey?: string;
}

interface Connection {
  readonly db: BetterSqlite3.Database;
  /** Runs calls on this connection one at a time, in order. */
  readonly serial: <T>(fn: () => Promise<T>) => Promise<T>;
  /** Prepared statements by text: the serving path runs the same few statements per request. */
  readonly statements: Map<string, BetterSqlite3.Statement>;
  refs: number;
  full: boolean;
  release?: () => Promise<void>;
  /** The open transaction every call on the connection joins (see SqlDb.transaction's `joinAll`). */
  joined?: Scope;
}

/** Statements kept prepared per connection; past this the cache starts over (queries built from filters vary). */
const STATEMENT_CACHE = 256;

/**
 * One connection per database file per process (per thread), shared by every store on it. Two
 * connections in one thread would deadlock: better-sqlite3 is synchronous, so a second
 * connection waiting for the write lock blocks the very thread the first needs to finish its
 * transaction.
 */
const connections = new Map<string, Connection>();

/** An open transaction that every call on its connection joins. */
interface Scope {
  open: boolean;
  savepoints: number;
}

function connect(Database: DatabaseCtor, file: string, o: SqliteOptions): Connection {
  const memory = file === ':memory:';
  const existing = memory ? undefined : connections.get(file);
  const full = (o.synchronous ?? 'FULL') === 'FULL';
  if (existing) {
    existing.refs++;
    // the strongest durability any store on the file asked for
    if (full && !existing.full) {
      existing.db.pragma('synchronous = FULL');
      existing.full = true;
    }
    if (o.checkpointInBackground && !existing.release) existing.release = checkpointInBackground(existing.db, file);
    return existing;
  }
  let db: BetterSqlite3.Database | undefined;
  try {
    if (!memory) mkdirSync(dirname(file), { recursive: true });
    db = new Database(file);
    if (!memory) db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${full ? 'FULL' : 'NORMAL'}`);
    // other processes: wait for their write lock instead of failing at once
    db.pragma(`busy_timeout = ${o.busyTimeoutMs ?? 10_000}`);
    db.pragma('foreign_keys = ON');
  } catch (e) {
    db?.close();
    const err = driverError(e, `sqlite:${file}`, `cannot open SQLite database ${file}`, o.configKey);
    if (err.code !== 'internal') throw err;
    throw new IntentOpsError('unavailable', `cannot open SQLite database ${file}: ${(e as Error).message}`, {
      where: file,
      hint: 'check that the directory is writable and the file is an SQLite database',
      cause: e,
    });
  }
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn, fn);
    queue = next.catch(() => undefined);
    return next;
  };
  const conn: Connection = { db, serial, statements: new Map(), refs: 1, full };
  if (!memory && o.checkpointInBackground) conn.release = checkpointInBackground(db, file);
  if (!memory) connections.set(file, conn);
  return conn;
}

function prepare(conn: Connection, sql: string): BetterSqlite3.Statement {
  let stmt = conn.statements.get(sql);
  if (!stmt) {
    if (conn.statements.size >= STATEMENT_CACHE) conn.statements.clear();
    stmt = conn.db.prepare(sql);
    conn.statements.set(sql, stmt);
  }
  return stmt;
}

/** The driver connection behind each SQLite SqlDb, for the one synchronous user (see sqliteHandle). */
const handles = new WeakMap<SqlDb, BetterSqlite3.Database>();

/**
 * The better-sqlite3 connection behind a SQLite SqlDb, for a store whose port is synchronous
 * (the LLM eval response cache: get/set inside a scoring loop). Only for a file no other store
 * shares: its statements bypass the order in which the SqlDb runs calls.
 */
export function sqliteHandle(db: SqlDb): BetterSqlite3.Database {
  const h = handles.get(db);
  if (!h) throw new IntentOpsError('internal', `${db.where} is not a SQLite database opened by openSqlite`, { where: db.where });
  return h;
}

/** SQLite takes 0/1 for booleans; the array is bound as a whole (no spread of a 1,000-value batch). */
function bind(params: readonly SqlValue[]): unknown[] {
  for (const p of params) if (typeof p === 'boolean') return params.map((v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v));
  return params as unknown[];
}

/**
 * Opens (creating if needed) an SQLite database file in WAL mode. `path` ':memory:' gives a
 * private in-memory database. Calls are serialised per file, so a transaction awaiting inside
 * `fn` never sees another caller's statements; a `joinAll` transaction lets every call join it
 * instead (the store threads batch the writes that arrive together into one commit this way).
 */
export async function openSqlite(path: string, o: SqliteOptions = {}): Promise<SqlDb> {
  const Database = await loadDriver();
  const file = path === ':memory:' ? path : resolve(path);
  const conn = connect(Database, file, o);
  const { db, serial } = conn;
  const exec: SqlExecutor = {
    async all<T>(sql: string, params: readonly SqlValue[] = []) {
      const stmt = prepare(conn, sql);
      return (stmt.reader ? stmt.all(bind(params)) : (stmt.run(bind(params)), [])) as T[];
    },
    async run(sql: string, params: readonly SqlValue[] = []) {
      return prepare(conn, sql).run(bind(params)).changes;
    },
  };
  const wrap = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      throw driverError(e, `sqlite:${file}`, 'SQLite', o.configKey);
    }
  };
  /** While a `joinAll` transaction is open: run now, as part of it. Else: wait in line. */
  const inLine = <T>(fn: () => Promise<T>): Promise<T> => (conn.joined?.open ? wrap(fn) : serial(() => wrap(fn)));
  const nested = async <T>(s: Scope, fn: (tx: SqlExecutor) => Promise<T>): Promise<T> => {
    const name = `sp${++s.savepoints}`;
    db.exec(`SAVEPOINT ${name}`);
    try {
      const out = await fn(exec);
      db.exec(`RELEASE ${name}`);
      return out;
    } catch (e) {
      if (db.inTransaction) db.exec(`ROLLBACK TO ${name}; RELEASE ${name}`);
      throw driverError(e, `sqlite:${file}`, 'SQLite transaction', o.configKey);
    }
  };
  let closed = false;
  const sqlDb: SqlDb = {
    dialect: 'sqlite',
    where: file,
    all: (sql, params) => inLine(() => exec.all(sql, params)),
    run: (sql, params) => inLine(() => exec.run(sql, params)),
    transaction: (fn, t = {}) => {
      const outer = conn.joined;
      if (outer?.open) return nested(outer, fn);
      return serial(async () => {
        await wrap(async () => db.exec('BEGIN IMMEDIATE'));
        const s: Scope = { open: true, savepoints: 0 };
        if (t.joinAll) conn.joined = s;
        try {
          const out = await fn(exec);
          db.exec('COMMIT');
          return out;
        } catch (e) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw driverError(e, `sqlite:${file}`, 'SQLite transaction', o.configKey);
        } finally {
          s.open = false;
          if (conn.joined === s) conn.joined = undefined;
        }
      });
    },
    close: () =>
      serial(async () => {
        if (closed) return;
        closed = true;
        if (--conn.refs === 0) {
          if (connections.get(file) === conn) connections.delete(file);
          db.close();
          await conn.release?.();
        }
      }),
  };
  handles.set(sqlDb, db);
  return sqlDb;
}
