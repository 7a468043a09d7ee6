import type { RolloutStore } from '../../ports/rollout-store.js';
import { openSqlDb } from '../sql/index.js';
import { SqlRolloutStore, type RolloutStoreOptions } from './sql-store.js';

/**
 * Opens the rollout store a URI names: the registry's own database (`registry.uri`:
 * `sqlite:PATH`, `postgres://…[?schema=NAME]`; the SQL stores' table of backends), in tables of
 * its own. An unknown scheme fails with 'invalid_config' listing the valid ones.
 *
 * @example
 *   const rollout = await openRolloutStore('sqlite:./intentops.db');
 *   await rollout.set({ name: 'tickets', mode: 'canary', share: 0.05, who: 'ana', why: 'first 5 %' });
 *   (await rollout.get('tickets'))?.mode // 'canary'
 */
export async function openRolloutStore(uri: string, opts: RolloutStoreOptions = {}): Promise<RolloutStore> {
  const db = await openSqlDb(uri, 'rollout store');
  try {
    return await SqlRolloutStore.open(db, opts);
  } catch (e) {
    await db.close().catch(() => undefined);
    throw e;
  }
}

export { SqlRolloutStore, type RolloutStoreOptions } from './sql-store.js';
