import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe } from 'vitest';
import { openFeedbackStore } from '../../src/adapters/feedback-store/index.js';
import { dropPgTables, PG_URL, requirePostgres, uniqueId } from '../helpers/real-services.js';
import { tempDir } from '../helpers/sample.js';
import { runFeedbackStoreContract } from './feedback-store.contract.js';

describe('sqlite file', () => {
  const root = tempDir('intentops-feedback-');
  let n = 0;
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  runFeedbackStoreContract('sqlite (file, WAL)', {
    persistent: true,
    fresh: async () => {
      const dir = join(root, `case-${n++}`);
      return { open: (options) => openFeedbackStore(`sqlite:${join(dir, 'events.db')}`, options), dispose: async () => rmSync(dir, { recursive: true, force: true }) };
    },
  });
});

runFeedbackStoreContract('sqlite (:memory:)', {
  persistent: false,
  fresh: async () => ({ open: (options) => openFeedbackStore('sqlite::memory:', options), dispose: async () => undefined }),
});

// The real server on this machine: a down server fails these tests (with the start command), never skips them.
describe('postgres (real server)', () => {
  const run = `t_${uniqueId()}_`;
  let n = 0;
  afterAll(() => dropPgTables(run));
  runFeedbackStoreContract(`postgres (${PG_URL})`, {
    persistent: true,
    fresh: async () => {
      await requirePostgres();
      const tablePrefix = `${run}${n++}_`;
      return { open: (options) => openFeedbackStore(PG_URL, { ...options, tablePrefix }), dispose: () => dropPgTables(tablePrefix) };
    },
  });
});
