import type { PredictionLog } from '../../ports/prediction-log.js';
import { openSqlDb, openSqlite, pickSqlBackend, type SqlDb, type SqlOpenOptions } from '../sql/index.js';
import type { EventStoreOptions } from './records.js';
import { SqlPredictionLog } from './sql-store.js';

/*
 * Prediction log backends by URI scheme (as MLflow picks its stores), all over the SQL layer
 * (../sql): `sqlite:PATH` (the default, in the file the review queue, tracking and registry use;
 * written from a thread of its own), `sqlite::memory:` (private, in-process), `postgres://…`
 * (shared by replicas; tables `<tablePrefix>prediction_log`, `<tablePrefix>feedback`).
 */

/** How the events tables want their connection: written per request, so SQLite commits without fsync (checkpoints run off the event loop). */
export function eventsConnection(options: EventStoreOptions = {}): SqlOpenOptions {
  return { synchronous: 'NORMAL', checkpointInBackground: true, busyTimeoutMs: 5000, poolSize: options.poolSize ?? 4, queryTimeoutMs: 10_000, configKey: 'events.uri' };
}

/** Opens `db` as a prediction log, closing it when that fails. */
async function onDb(db: SqlDb, options: EventStoreOptions): Promise<PredictionLog> {
  try {
    return await SqlPredictionLog.open(db, options);
  } catch (e) {
    await db.close().catch(() => undefined);
    throw e;
  }
}

/** The SQLite prediction log at `path` in this thread (the store thread opens it with this). */
export async function openSqlitePredictionLog(path: string, options: EventStoreOptions = {}): Promise<PredictionLog> {
  return onDb(await openSqlite(path, eventsConnection(options)), options);
}

export const predictionLogs = Object.freeze({
  sqlite: {
    description: 'SQLite file (better-sqlite3, WAL), the default, written from a thread of its own; sqlite::memory: for a private in-process store',
    open: async (path: string, _uri: string, options: EventStoreOptions): Promise<PredictionLog> =>
      path === ':memory:' ? openSqlitePredictionLog(path, options) : (await import('./thread.js')).openThreadedPredictionLog(path),
  },
  postgres: {
    description: 'PostgreSQL (pg), shared by replicas; tables <tablePrefix>prediction_log and <tablePrefix>feedback, created on open',
    open: async (_path: string, uri: string, options: EventStoreOptions): Promise<PredictionLog> => onDb(await openSqlDb(uri, 'prediction log', eventsConnection(options)), options),
  },
});

/**
 * Opens the log of served predictions named by `uri`: `sqlite:./intentops.db` (default),
 * `sqlite::memory:`, `postgres://…` or `postgresql://…`. An unknown scheme fails with
 * 'invalid_config' listing these.
 *
 * @example
 * const log = await openPredictionLog('sqlite:./intentops.db');
 * const lastHour = await log.query({ since: new Date(Date.now() - 3_600_000).toISOString() });
 * await log.close();
 */
export async function openPredictionLog(uri: string, options: EventStoreOptions = {}): Promise<PredictionLog> {
  const { dialect, path } = pickSqlBackend(uri, 'prediction log');
  return predictionLogs[dialect].open(path, uri, options);
}

export type { EventStoreOptions } from './records.js';
export { SqlPredictionLog } from './sql-store.js';
