import type { TrackingStore } from '../../ports/tracking-store.js';
import { SqlTrackingStore, type TrackingStoreOptions } from './sql-store.js';
import { openSqlDb } from '../sql/index.js';

export const DEFAULT_TRACKING_URI = 'sqlite:./intentops.db';

/**
 * Opens the tracking store a URI names; the scheme picks the backend (see sql/uri.ts:
 * `sqlite:PATH`, `postgres://…`), its driver loaded only then. An unknown scheme fails with
 * 'invalid_config' listing the valid ones.
 *
 * @example
 *   const runs = await openTrackingStore('sqlite:./intentops.db');
 *   const run = await runs.createRun({ name: 'tickets', environment: { node: process.version, platform: 'linux', arch: 'x64', cpus: 4 } });
 *   await runs.updateRun(run.id, { status: 'finished', metrics: { valAccuracy: 0.93 } });
 *   await runs.close();
 */
export async function openTrackingStore(uri: string = DEFAULT_TRACKING_URI, opts: TrackingStoreOptions = {}): Promise<TrackingStore> {
  const db = await openSqlDb(uri, 'tracking store');
  try {
    return await SqlTrackingStore.open(db, opts);
  } catch (e) {
    await db.close().catch(() => undefined);
    throw e;
  }
}

export { SqlTrackingStore, type TrackingStoreOptions } from './sql-store.js';
export { ulidFactory, ulidTime } from '../sql/index.js';
export { sqlBackends } from '../sql/index.js';
