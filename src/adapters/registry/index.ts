import type { RegistryStore } from '../../ports/registry-store.js';
import { openSqlDb } from '../sql/index.js';
import { SqlRegistryStore, type RegistryStoreOptions } from './sql-store.js';

export const DEFAULT_REGISTRY_URI = 'sqlite:./intentops.db';

/**
 * Opens the registry store a URI names (`sqlite:PATH`, `postgres://…[?schema=NAME]`; the
 * tracking store's table of backends); an unknown scheme fails with 'invalid_config'.
 *
 * @example
 *   const registry = await openRegistryStore('sqlite:./intentops.db');
 *   const v = await registry.addVersion({ name: 'tickets', artifact: hash });
 *   await registry.moveAlias({ name: 'tickets', alias: 'champion', to: v.version, who: 'ci', why: 'gate passed' });
 */
export async function openRegistryStore(uri: string = DEFAULT_REGISTRY_URI, opts: RegistryStoreOptions = {}): Promise<RegistryStore> {
  const db = await openSqlDb(uri, 'registry store');
  try {
    return await SqlRegistryStore.open(db, opts);
  } catch (e) {
    await db.close().catch(() => undefined);
    throw e;
  }
}

export { SqlRegistryStore, type RegistryStoreOptions, type RegistryWrite } from './sql-store.js';
export { checkAlias, checkModelName, formatModelUri, parseModelUri, type ModelRef } from '../../ports/model-uri.js';
