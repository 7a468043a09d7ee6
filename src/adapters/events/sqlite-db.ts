import type BetterSqlite3 from 'better-sqlite3';
import { openSqliteStore } from '../sqlite-open.js';
import { IntentOpsError } from '../../core/errors.js';

/*
 * The events tables in SQLite: the prediction log and feedback live in the same file as the
 * review queue, tracking and registry (default ./intentops.db), under their own names and their
 * own migrations table. WAL lets the serving process append while `intentops feedback` or
 * `purge` read and delete. Every transaction here is synchronous (better-sqlite3), so two
 * connections to one file in one process never wait on each other across an await.
 */

export type Db = BetterSqlite3.Database;

/** Versioned DDL: entry i brings the schema to version i + 1. Append only; never edit a shipped entry. */
export const MIGRATIONS: readonly string[] = [
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
  // 2: the LLM variant that answered (its own column), and variant 'llm-shadow' (an LLM challenger's
  // shadow answer): SQLite cannot change a CHECK, so the table is rebuilt with its rows
  `CREATE TABLE prediction_log_v2 (
     id            TEXT NOT NULL,
     variant       TEXT NOT NULL CHECK (variant IN ('champion', 'challenger', 'shadow', 'llm-shadow')),
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
     llm_variant   TEXT,
     PRIMARY KEY (id, variant)
   ) STRICT;
   INSERT INTO prediction_log_v2 (id, variant, at, model_name, model_version, intent, confidence, route, reason, cached, latency_ms, llm, text, features, subject)
     SELECT id, variant, at, model_name, model_version, intent, confidence, route, reason, cached, latency_ms, llm, text, features, subject FROM prediction_log;
   DROP TABLE prediction_log;
   ALTER TABLE prediction_log_v2 RENAME TO prediction_log;
   CREATE INDEX prediction_log_at ON prediction_log (at);`,
];



/** Opens (creating and migrating as needed) the events database at `path` or `:memory:`. */
export async function openEventsDb(path: string, what: string): Promise<Db> {
  const { db, release } = await openSqliteStore(path, { name: 'events', configKey: 'events.uri', migrations: MIGRATIONS }, what);
  // the prediction log commits several times a second under load: its checkpoints (fsync) run off the event loop
  if (release) releases.set(db, release);
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
