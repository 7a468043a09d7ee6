import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { IntentOpsError } from '../core/errors.js';
import { checkpointInBackground } from './sql/sqlite-checkpointer.js';
import { loadDriver } from './uri.js';

export type SqliteDb = BetterSqlite3.Database;

/** One store's tables in a SQLite file: its own migrations table, append-only DDL versions. */
export interface SqliteSchema {
  /** e.g. `review`, `events`: names the migrations table (`<name>_migrations`) and errors. */
  readonly name: string;
  /** The config key that points at the file, for hints (`review.uri`). */
  readonly configKey: string;
  /** Entry i brings the schema to version i + 1. Append only; never edit a shipped entry. */
  readonly migrations: readonly string[];
}

function migrate(db: SqliteDb, s: SqliteSchema, where: string): void {
  const table = `${s.name}_migrations`;
  db.exec(`CREATE TABLE IF NOT EXISTS ${table} (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL) STRICT`);
  const run = db.transaction(() => {
    const current = (db.prepare(`SELECT MAX(version) AS v FROM ${table}`).get() as { v: number | null }).v ?? 0;
    if (current > s.migrations.length) {
      throw new IntentOpsError('invalid_config', `the ${s.name} tables have schema version ${current}; this IntentOps knows versions up to ${s.migrations.length}`, {
        where,
        hint: `upgrade IntentOps, or point ${s.configKey} at another database`,
      });
    }
    const record = db.prepare(`INSERT INTO ${table} (version, applied_at) VALUES (?, ?)`);
    for (let v = current + 1; v <= s.migrations.length; v++) {
      db.exec(s.migrations[v - 1]);
      record.run(v, new Date().toISOString());
    }
  });
  run.immediate(); // take the write lock first: two processes opening a new file migrate one after the other
}

function openError(e: unknown, path: string, s: SqliteSchema): unknown {
  if (e instanceof IntentOpsError) return e;
  const code = (e as { code?: string }).code;
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new IntentOpsError('corrupt', `${path} is not a readable SQLite database (${(e as Error).message})`, {
      where: `sqlite:${path}`,
      hint: `restore it from a backup, or point ${s.configKey} at a new file`,
      cause: e,
    });
  }
  return new IntentOpsError('unavailable', `cannot open the SQLite ${s.name} database ${path}: ${(e as Error).message}`, {
    where: `sqlite:${path}`,
    hint: 'check the path exists and is writable',
    cause: e,
  });
}

/**
 * Opens a SQLite file for a store (or `:memory:`): creates the directory, WAL with
 * synchronous=NORMAL (a committed write survives a process crash; only checkpoints fsync), a
 * busy timeout, the store's migrations, and — for files — checkpoints on a background thread
 * (see sqlite-checkpointer.ts). `release` must be awaited after `db.close()`.
 * Errors are typed: `corrupt` for a file that is not a database, `unavailable` otherwise.
 */
export async function openSqliteStore(path: string, s: SqliteSchema, what: string): Promise<{ db: SqliteDb; release?: () => Promise<void> }> {
  const { default: Database } = await loadDriver('better-sqlite3', `${what} (sqlite)`, () => import('better-sqlite3'));
  const memory = path === ':memory:';
  let db: SqliteDb | undefined;
  try {
    if (!memory) mkdirSync(dirname(resolve(path)), { recursive: true });
    db = new Database(path);
    if (!memory) db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    migrate(db, s, `sqlite:${path}`);
  } catch (e) {
    db?.close();
    throw openError(e, path, s);
  }
  return { db, release: memory ? undefined : checkpointInBackground(db, resolve(path)) };
}
