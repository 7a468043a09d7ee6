import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './sample.js';

/** A store URI on a fresh SQLite file in a temp directory, and a cleanup that removes it. */
export async function freshSqlite(): Promise<{ uri: string; cleanup: () => Promise<void> }> {
  const dir = tempDir('intentops-store-');
  return { uri: `sqlite:${join(dir, 'intentops.db')}`, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
}
