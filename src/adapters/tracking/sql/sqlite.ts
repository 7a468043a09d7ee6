import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { IntentOpsError } from '../../../core/errors.js';
import { driverError, type SqlDb, type SqlExecutor, type SqlValue } from './db.js';

type DatabaseCtor = typeof BetterSqlite3;

async function loadDriver(): Promise<DatabaseCtor> {
  try {
    return (await import('better-sqlite3')).default;
  } catch (cause) {
    throw new IntentOpsError('unavailable', `cannot load better-sqlite3: ${(cause as Error).message}`, {
      where: 'better-sqlite3',
      hint: 'npm install better-sqlite3 (it builds a native module), or use a postgres:// store URI',
      cause,
    });
  }
}

interface Connection {
  readonly db: BetterSqlite3.Database;
  /** Runs calls on this connection one at a time, in order. */
  readonly serial: <T>(fn: () => Promise<T>) => Promise<T>;
  refs: number;
}

/**
 * One connection per database file per process, shared by every store on it. Two connections
 * in one thread would deadlock: better-sqlite3 is synchronous, so a second connection waiting
 * for the write lock blocks the very thread the first needs to finish its transaction.
 */
const connections = new Map<string, Connection>();

function connect(Database: DatabaseCtor, file: string): Connection {
  const memory = file === ':memory:';
  const existing = memory ? undefined : connections.get(file);
  if (existing) {
    existing.refs++;
    return existing;
  }
  let db: BetterSqlite3.Database;
  try {
    if (!memory) mkdirSync(dirname(file), { recursive: true });
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    // FULL: a commit the caller saw survives power loss (the registry relies on it after an artifact put)
    db.pragma('synchronous = FULL');
    // other processes: wait for their write lock instead of failing at once
    db.pragma('busy_timeout = 10000');
    db.pragma('foreign_keys = ON');
  } catch (e) {
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
  const conn: Connection = { db, serial, refs: 1 };
  if (!memory) connections.set(file, conn);
  return conn;
}

/**
 * Opens (creating if needed) an SQLite database file in WAL mode. `path` ':memory:' gives a
 * private in-memory database. Calls are serialised per file, so a transaction awaiting inside
 * `fn` never sees another caller's statements.
 */
export async function openSqlite(path: string): Promise<SqlDb> {
  const Database = await loadDriver();
  const file = path === ':memory:' ? path : resolve(path);
  const conn = connect(Database, file);
  const { db, serial } = conn;
  const exec: SqlExecutor = {
    async all<T>(sql: string, params: readonly SqlValue[] = []) {
      return db.prepare(sql).all(...params) as T[];
    },
    async run(sql: string, params: readonly SqlValue[] = []) {
      return db.prepare(sql).run(...params).changes;
    },
  };
  const wrap = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      throw driverError(e, file, 'SQLite');
    }
  };
  let closed = false;
  return {
    dialect: 'sqlite',
    where: file,
    all: (sql, params) => serial(() => wrap(() => exec.all(sql, params))),
    run: (sql, params) => serial(() => wrap(() => exec.run(sql, params))),
    transaction: (fn) =>
      serial(async () => {
        await wrap(async () => db.exec('BEGIN IMMEDIATE'));
        try {
          const out = await fn(exec);
          db.exec('COMMIT');
          return out;
        } catch (e) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw driverError(e, file, 'SQLite transaction');
        }
      }),
    close: () =>
      serial(async () => {
        if (closed) return;
        closed = true;
        if (--conn.refs === 0) {
          if (connections.get(file) === conn) connections.delete(file);
          db.close();
        }
      }),
  };
}
