import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe } from 'vitest';
import { openReviewStore } from '../../src/adapters/review-store/index.js';
import { tempDir } from '../helpers/sample.js';
import { dropPgTables, PG_URL, requirePostgres, uniqueId } from '../helpers/real-services.js';
import { runReviewStoreContract } from './review-store.contract.js';

describe('sqlite file', () => {
  const root = tempDir('intentops-review-');
  let n = 0;
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  runReviewStoreContract('sqlite (file, WAL)', {
    persistent: true,
    fresh: async () => {
      const dir = join(root, `case-${n++}`);
      return {
        open: (options) => openReviewStore(`sqlite:${join(dir, 'review.db')}`, options),
        dispose: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  });
});

runReviewStoreContract('sqlite (:memory:)', {
  persistent: false,
  fresh: async () => ({ open: (options) => openReviewStore('sqlite::memory:', options), dispose: async () => undefined }),
});

// The real server on this machine: a down server fails these tests (with the start command), never skips them.
describe('postgres (real server)', () => {
  const run = `t_${uniqueId()}_`;
  let n = 0;
  afterAll(() => dropPgTables(run));
  runReviewStoreContract(`postgres (${PG_URL})`, {
    persistent: true,
    fresh: async () => {
      await requirePostgres();
      const tablePrefix = `${run}${n++}_`;
      return {
        open: (options) => openReviewStore(PG_URL, { ...options, tablePrefix }),
        dispose: () => dropPgTables(tablePrefix),
      };
    },
  });
});
