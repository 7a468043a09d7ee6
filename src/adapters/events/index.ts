import type { FeedbackStore } from '../../ports/feedback-store.js';
import type { PredictionLog } from '../../ports/prediction-log.js';
import { sqlitePath } from '../sql/index.js';
import { pickByScheme } from '../uri.js';
import type { EventStoreOptions } from './common.js';

/*
 * Prediction log and feedback backends by URI scheme (as MLflow picks its stores). Both live in
 * one database: the default SQLite file is the one the review queue, tracking and registry use
 * (tables prediction_log, feedback, events_migrations); PostgreSQL is shared by replicas. Each
 * entry imports its driver only when chosen.
 */

interface EventsBackend {
  readonly description: string;
  predictions(rest: string, uri: string, options: EventStoreOptions): Promise<PredictionLog>;
  feedback(rest: string, uri: string, options: EventStoreOptions): Promise<FeedbackStore>;
}

const postgres: EventsBackend = {
  description: 'PostgreSQL (pg), shared by replicas; tables <tablePrefix>prediction_log and <tablePrefix>feedback, created on open',
  predictions: async (_rest, uri, options) => (await import('./postgres-predictions.js')).openPostgresPredictionLog(uri, options),
  feedback: async (_rest, uri, options) => (await import('./postgres-feedback.js')).openPostgresFeedbackStore(uri, options),
};

export const eventStores = Object.freeze({
  sqlite: {
    description: 'SQLite file (better-sqlite3, WAL), the default, written from a thread of its own; sqlite::memory: for a private in-process store',
    predictions: async (rest) => {
      const path = sqlitePath(rest);
      return path === ':memory:' ? (await import('./sqlite-predictions.js')).openSqlitePredictionLog(path) : (await import('./sqlite-predictions-thread.js')).openThreadedPredictionLog(path);
    },
    feedback: async (rest, _uri, options) => (await import('./sqlite-feedback.js')).openSqliteFeedbackStore(sqlitePath(rest), options),
  },
  postgres,
  postgresql: postgres,
} satisfies Record<string, EventsBackend>);

/** The URI forms accepted by openPredictionLog and openFeedbackStore, as listed in errors. */
export const EVENT_STORE_URIS = Object.freeze(['sqlite:PATH (e.g. sqlite:./intentops.db)', 'sqlite::memory:', 'postgres://USER[:PASSWORD]@HOST:PORT/DB[?schema=NAME]', 'postgresql://…']);

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
  const { entry, rest } = pickByScheme(eventStores, uri, 'prediction log', EVENT_STORE_URIS);
  return entry.predictions(rest, uri, options);
}

/**
 * Opens the feedback store named by `uri` (the same forms as openPredictionLog; normally the
 * same database, so feedback can be joined with its prediction).
 *
 * @example
 * const store = await openFeedbackStore('sqlite:./intentops.db');
 * await store.add({ predictionId: 'r1', correctIntent: 'refund', source: 'ana' });
 * await store.close();
 */
export async function openFeedbackStore(uri: string, options: EventStoreOptions = {}): Promise<FeedbackStore> {
  const { entry, rest } = pickByScheme(eventStores, uri, 'feedback store', EVENT_STORE_URIS);
  return entry.feedback(rest, uri, options);
}

export type { EventStoreOptions } from './common.js';
