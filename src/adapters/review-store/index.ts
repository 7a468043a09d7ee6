import type { ReviewStore } from '../../ports/review-store.js';
import { openSqlDb, openSqlite, pickSqlBackend, SQL_STORE_URIS, type SqlDb, type SqlOpenOptions } from '../sql/index.js';
import type { ReviewStoreOptions } from './review-common.js';
import { SqlReviewStore } from './sql-store.js';
import { openSpool } from '../spool.js';
import { ResilientReviewStore, type ResilientReviewOptions, type SpooledReview } from './resilient-review.js';

/*
 * Review store backends by URI scheme (as MLflow picks its stores). Each entry imports its
 * driver only when chosen, so the default SQLite path never loads pg, and a missing native
 * build of better-sqlite3 only matters to those who use it.
 */

/** How the review table wants its connection: an insert per unsure message while serving, so SQLite commits without fsync (checkpoints run off the event loop) and PostgreSQL queries have a short deadline. */
function reviewConnection(options: ReviewStoreOptions): SqlOpenOptions {
  return { synchronous: 'NORMAL', checkpointInBackground: true, busyTimeoutMs: 5000, poolSize: options.poolSize ?? 10, queryTimeoutMs: 5000, configKey: 'review.uri' };
}

/** Opens `db` as the review queue, closing it when that fails. */
async function onDb(db: SqlDb, options: ReviewStoreOptions): Promise<SqlReviewStore> {
  try {
    return await SqlReviewStore.open(db, options);
  } catch (e) {
    await db.close().catch(() => undefined);
    throw e;
  }
}

/**
 * The SQLite review queue at `path` (or `:memory:`, a private database that ends with close()),
 * in this thread (the store thread opens it with this).
 *
 * @example
 * const store = await openSqliteReviewStore('./intentops.db');
 * const item = await store.add({ text: 'where is my parcel', guess: 'delivery', confidence: 0.41, alternatives: [], reason: 'low_confidence', model: { name: 'm', version: '1' } });
 */
export async function openSqliteReviewStore(path: string, options: ReviewStoreOptions = {}): Promise<ReviewStore> {
  return onDb(await openSqlite(path, reviewConnection(options)), options);
}

/**
 * The review queue in PostgreSQL at `uri` (`postgres://user:pass@host:5432/db[?schema=NAME]`):
 * tables `<tablePrefix>review_items` and `<tablePrefix>review_migrations`, created on open.
 *
 * @example
 * const store = await openPostgresReviewStore('postgres://postgres@127.0.0.1:5432/test', { tablePrefix: 'staging_' });
 */
export async function openPostgresReviewStore(uri: string, options: ReviewStoreOptions = {}): Promise<ReviewStore> {
  return onDb(await openSqlDb(uri, 'review store', reviewConnection(options)), options);
}

/*
 * Review store backends by URI scheme (as MLflow picks its stores), both over the SQL layer.
 * Each imports its driver only when chosen, so the default SQLite path never loads pg.
 */
export const reviewStores = Object.freeze({
  sqlite: {
    description: 'SQLite file (better-sqlite3, WAL), the default, written from a thread of its own; sqlite::memory: for a private in-process queue',
    open: async (path: string, _uri: string, options: ReviewStoreOptions): Promise<ReviewStore> => {
      // a file with the real clock is written from a thread of its own; an injected clock or
      // random source (tests) cannot cross to a thread, and :memory: would be private to it
      const threaded = path !== ':memory:' && options.now === undefined && options.random === undefined;
      return threaded ? (await import('./sqlite-review-thread.js')).openThreadedReviewStore(path) : openSqliteReviewStore(path, options);
    },
  },
  postgres: {
    description: 'PostgreSQL (pg), shared by replicas; tables <tablePrefix>review_items, created on open',
    open: (_path: string, uri: string, options: ReviewStoreOptions): Promise<ReviewStore> => openPostgresReviewStore(uri, options),
  },
  postgresql: {
    description: 'PostgreSQL (pg), as postgres://',
    open: (_path: string, uri: string, options: ReviewStoreOptions): Promise<ReviewStore> => openPostgresReviewStore(uri, options),
  },
});

/** The URI forms accepted by openReviewStore, as listed in errors. */
export const REVIEW_STORE_URIS = SQL_STORE_URIS;

/**
 * Opens the review queue named by `uri`: `sqlite:./intentops.db` (default), `sqlite::memory:`,
 * `postgres://…` or `postgresql://…`. An unknown scheme fails with 'invalid_config' listing these.
 *
 * @example
 * const store = await openReviewStore('sqlite:./intentops.db');
 * const [next] = await store.list({ state: 'open', limit: 1 });
 * if (next) await store.resolve((await store.claim(next.id, 'ana')).id, 'ana', { label: 'billing' });
 * await store.close();
 */
export async function openReviewStore(uri: string, options: ReviewStoreOptions = {}): Promise<ReviewStore> {
  const { dialect, path } = pickSqlBackend(uri, 'review store');
  return reviewStores[dialect].open(path, uri, options);
}

/** How the serving path holds review items while the store is away (see resilient-review.ts). */
export interface ServingReviewOptions {
  /** Directory of the spool file; '' keeps spooled items in memory (lost if the process dies). */
  readonly spoolDir?: string;
  /** Items the spool holds at most. */
  readonly spoolMax: number;
  /** Open items at most; 0 = no bound. */
  readonly maxOpen: number;
  readonly onState?: ResilientReviewOptions['onState'];
  readonly onLost?: ResilientReviewOptions['onLost'];
}

/**
 * The review queue for serving: openReviewStore (so a store that is down at start still fails
 * the start), wrapped to answer unsure messages while it goes away later (items spooled,
 * `pending: true`) and to bound the open queue.
 *
 * @example
 * const review = await openServingReviewStore('postgres://…', { spoolDir: '/var/spool/intentops', spoolMax: 10_000, maxOpen: 10_000 });
 * review.stats(); // { up, spooled, dropped, … }
 */
export async function openServingReviewStore(uri: string, o: ServingReviewOptions): Promise<ResilientReviewStore> {
  const store = await openReviewStore(uri);
  try {
    const spool = openSpool<SpooledReview>({ dir: o.spoolDir, name: 'review', capacity: o.spoolMax });
    return new ResilientReviewStore(store, { spool, maxOpen: o.maxOpen, onState: o.onState, onLost: o.onLost, persistent: Boolean(o.spoolDir) });
  } catch (e) {
    await store.close();
    throw e;
  }
}

export type { ReviewStoreOptions } from './review-common.js';
export { ResilientReviewStore, type ResilientReviewOptions, type ResilientReviewStats, type SpooledReview } from './resilient-review.js';
export { ulidFactory, ulidTime } from '../sql/ids.js';
/** The one reading of a `sqlite:` path, shared by every SQL store (see ../sql/uri.ts). */
export { sqlitePath } from '../sql/index.js';
export { SqlReviewStore } from './sql-store.js';
