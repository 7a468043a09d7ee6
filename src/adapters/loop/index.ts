import type { LoopStore } from '../../ports/loop-store.js';
import { openSqlDb } from '../sql/index.js';
import { SqlLoopStore, type LoopStoreOptions } from './sql-store.js';

/**
 * Opens the loop store a URI names: the registry's own database (`registry.uri`: `sqlite:PATH`,
 * `postgres://…[?schema=NAME]`), in tables of its own. An unknown scheme fails with
 * 'invalid_config' listing the valid ones.
 *
 * @example
 *   const loop = await openLoopStore('sqlite:./intentops.db');
 *   const it = await loop.begin('tickets');
 *   await loop.record({ iteration: it.id, step: 'collect', phase: 'start' });
 */
export async function openLoopStore(uri: string, opts: LoopStoreOptions = {}): Promise<LoopStore> {
  const db = await openSqlDb(uri, 'loop store');
  try {
    return await SqlLoopStore.open(db, opts);
  } catch (e) {
    await db.close().catch(() => undefined);
    throw e;
  }
}

export { SqlLoopStore, type LoopStoreOptions } from './sql-store.js';
