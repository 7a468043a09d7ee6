import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { checkpointInBackground } from '../sqlite-checkpointer.js';
import { IntentOpsError } from '../../core/errors.js';
import { loadDriver } from '../uri.js';

/*
 * The events tables in SQLite: the prediction log and feedback live in the same file as the
 * review queue, tracking and registry (default ./intentops.db), under their own names and their
 * own migrations table. WAL lets the serving process append while `intentops feedback` or
 * `purge` read and delete. Every transaction here is synchronous (better-sqlite3), so two
 * connections to one file in one process never wait on each other across an await.
 */

export type Db = BetterSqlite3.Database;

/** Versioned DDL: entry i brings the schema to version i + 1. Append only; never edit a shipped entry. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE prediction_log (
     id            TEXT NOT NULL,
     variant       TEXT NOT NULL CHECK (variant IN ('champion', 'challenger', 'shadow')),
     at            TEXT NOT NULL,
     model_name    TEXT NOT NULL,
     model_version TEXT NOT NULL,
     intent        TEXT NOT NULL,
     confidence    REAL NOT NULL,
     route         TEXT NOT NULL,
     reason        TEXT NOT NULL,
     cached        INTEGER NOT NULL,
     latency_ms    REAL NOT NULL,
     llm           TEXT,
     text          TEXT,
     features      TEXT,
     subject       TEXT,
     PRIMARY KEY (id, variant)
   ) STRICT;
   CREATE INDEX prediction_log_at ON prediction_log (at);
   CREATE TABLE feedback (
     id             TEXT PRIMARY KEY,
     prediction_id  TEXT NOT NULL,
     correct_intent TEXT,
     rating         INTEGER CHECK (rating IN (-1, 0, 1)),
     comment        TEXT,
     source         TEXT NOT NULL,
     at             TEXT NOT NULL
   ) STRICT;
   CREATE INDEX feedback_at ON feedback (at);
   CREATE INDEX feedback_prediction_id ON feedback (prediction_id);`,
];

function migrate(db: Db, where: string): void {
  db.exec('CREATE TABLE IF NOT EXISTS events_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL) STRICT');
  const run = db.transaction(() => {
    const current = (db.prepare('SELECT MAX(version) AS v FROM events_migrations').get() as { v: number | null }).v ?? 0;
    if (current > MIGRATIONS.length) {
      throw new IntentOpsError('invalid_config', `the events tables have schema version ${current}; this IntentOps knows versions up to ${MIGRATIONS.length}`, {
        where,
        hint: 'upgrade IntentOps, or point events.uri at another database',
      });
    }
    const record = db.prepare('INSERT INTO events_migrations (version, applied_at) VALUES (?, ?)');
    for (let v = current + 1; v <= MIGRATIONS.length; v++) {
      db.exec(MIGRATIONS[v - 1]);
      record.run(v, new Date().toISOString());
    }
  });
  run.immediate(); // take the write lock first: two processes opening a new file migrate one after the other
}

function translateOpenError(e: unknown, path: string): unknown {
  if (e instanceof IntentOpsError) return e;
  const code = (e as { code?: string }).code;
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new IntentOpsError('corrupt', `${path} is not a readable SQLite database (${(e as Error).message})`, {
      where: `sqlite:${path}`,
      hint: 'restore it from a backup, or point events.uri at a new file',
      cause: e,
    });
  }
  return new IntentOpsError('unavailable', `cannot open the SQLite events database ${path}: ${(e as Error).message}`, {
    where: `sqlite:${path}`,
    hint: 'check the path exists and is writable',
    cause: e,
  });
}

/** Opens (creating and migrating as needed) the events database at `path` or `:memory:`. */
export async function openEventsDb(path: string, what: string): Promise<Db> {
  const { default: Database } = await loadDriver('better-sqlite3', `${what} (sqlite)`, () => import('better-sqlite3'));
  const memory = path === ':memory:';
  let db: Db | undefined;
  try {
    if (!memory) mkdirSync(dirname(resolve(path)), { recursive: true });
    db = new Database(path);
    if (!memory) db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    migrate(db, `sqlite:${path}`);
  } catch (e) {
    db?.close();
    throw translateOpenError(e, path);
  }
  // the prediction log commits every few hundred ms under load: its checkpoints (fsync) run off the event loop
  if (!memory) releases.set(db, checkpointInBackground(db, resolve(path)));
  return db;
}

const releases = new WeakMap<Db, () => Promise<void>>();

/** Closes a connection from openEventsDb, and its share of the background checkpointer. */
export async function closeEventsDb(db: Db): Promise<void> {
  db.close();
  await releases.get(db)?.();
}

/** A runtime SQLite error (disk full, locked too long) as a domain error. */
export function sqliteError(e: unknown, path: string): IntentOpsError {
  if (e instanceof IntentOpsError) return e;
  const err = e as Error & { code?: string };
  const code = err.code === 'SQLITE_BUSY' || err.code === 'SQLITE_FULL' || err.code === 'SQLITE_IOERR' ? 'unavailable' : 'internal';
  return new IntentOpsError(code, `SQLite events database ${path}: ${err.message}`, { where: `sqlite:${path}`, cause: e });
}

/** Rows deleted per purge transaction: a long purge never holds the write lock for long. */
export const PURGE_CHUNK = 5000;

/**
 * Runs a chunked DELETE until it deletes fewer than a chunk, yielding to the event loop (and to
 * writers in other processes) between chunks. Returns the total deleted.
 */
export async function purgeInChunks(chunk: () => number): Promise<number> {
  let total = 0;
  for (;;) {
    const n = chunk();
    total += n;
    if (n < PURGE_CHUNK) return total;
    await new Promise((r) => setImmediate(r));
  }
}
