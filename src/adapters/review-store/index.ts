import type { ReviewStore } from '../../ports/review-store.js';
import { sqlitePath } from '../sql/index.js';
import { pickByScheme } from '../uri.js';
import type { ReviewStoreOptions } from './review-common.js';
import { openSpool } from '../spool.js';
import { ResilientReviewStore, type ResilientReviewOptions, type SpooledReview } from './resilient-review.js';

/*
 * Review store backends by URI scheme (as MLflow picks its stores). Each entry imports its
 * driver only when chosen, so the default SQLite path never loads pg, and a missing native
 * build of better-sqlite3 only matters to those who use it.
 */

interface ReviewStoreBackend {
  readonly description: string;
  open(rest: string, uri: string, options: ReviewStoreOptions): Promise<ReviewStore>;
}

const postgres: ReviewStoreBackend = {
  description: 'PostgreSQL (pg), shared by replicas; tables <tablePrefix>review_items, created on open',
  open: async (_rest, uri, options) => (await import('./postgres-review.js')).openPostgresReviewStore(uri, options),
};

export const reviewStores = Object.freeze({
  sqlite: {
    description: 'SQLite file (better-sqlite3, WAL), the default, written from a thread of its own; sqlite::memory: for a private in-process queue',
    open: async (rest, _uri, options) => {
      const path = sqlitePath(rest);
      // a file with the real clock is written from a thread of its own; an injected clock or
      // random source (tests) cannot cross to a thread, and :memory: would be private to it
      const threaded = path !== ':memory:' && options.now === undefined && options.random === undefined;
      return threaded ? (await import('./sqlite-review-thread.js')).openThreadedReviewStore(path) : (await import('./sqlite-review.js')).openSqliteReviewStore(path, options);
    },
  },
  postgres,
  postgresql: postgres,
} satisfies Record<string, ReviewStoreBackend>);

/** The URI forms accepted by openReviewStore, as listed in errors. */
export const REVIEW_STORE_URIS = Object.freeze(['sqlite:PATH (e.g. sqlite:./intentops.db)', 'sqlite::memory:', 'postgres://USER[:PASSWORD]@HOST:PORT/DB[?schema=NAME]', 'postgresql://…']);

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
  const { entry, rest } = pickByScheme(reviewStores, uri, 'review store', REVIEW_STORE_URIS);
  return entry.open(rest, uri, options);
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
