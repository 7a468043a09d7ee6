import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeScript } from '../../../test/helpers/node-script.js';
import { ROOT, rejection, tempDir } from '../../../test/helpers/sample.js';
import { openReviewStore, reviewStores, sqlitePath } from './index.js';

describe('openReviewStore: backends by URI scheme', () => {
  it('lists the valid forms for an unknown scheme, without echoing a password', async () => {
    const err = await rejection(openReviewStore('mysql://ana:hunter2@db:3306/x'));
    expect(err.code).toBe('invalid_config');
    expect(err.message).toMatch(/unknown scheme "mysql"/);
    expect(err.message).toMatch(/sqlite:PATH.*sqlite::memory:.*postgres:\/\/.*postgresql:\/\//);
    expect(err.message).not.toContain('hunter2');
    expect((await rejection(openReviewStore('./intentops.db'))).code).toBe('invalid_config');
  });

  it('is a frozen table of sqlite, postgres and postgresql', () => {
    expect(Object.isFrozen(reviewStores)).toBe(true);
    expect(Object.keys(reviewStores)).toEqual(['sqlite', 'postgres', 'postgresql']);
  });

  it('reads sqlite paths as the registry and tracking stores do (sqlite:///abs like file:///)', () => {
    expect(sqlitePath('./intentops.db')).toBe('./intentops.db');
    expect(sqlitePath(':memory:')).toBe(':memory:');
    expect(sqlitePath('/var/lib/io.db')).toBe('/var/lib/io.db');
    expect(sqlitePath('///abs/io.db')).toBe('/abs/io.db');
    expect(sqlitePath('./my%20queue.db')).toBe('./my queue.db');
    expect(() => sqlitePath('')).toThrow(/needs a file path/);
    expect(() => sqlitePath('//')).toThrow(/needs a file path/);
  });

  it('opens a sqlite file named by URI', async () => {
    const file = join(tempDir(), 'q.db');
    const store = await openReviewStore(`SQLite:${file}`);
    await store.close();
    expect(existsSync(file)).toBe(true);
  });

  it('loads no driver it does not need: the default path never loads pg or ioredis', async () => {
    const out = execFileSync(process.execPath, await nodeScript('test/helpers/lazy-drivers.ts', ['sqlite::memory:', 'memory', 'memory']), { cwd: ROOT, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ pg: false, ioredis: false, 'better-sqlite3': true });
  });
});
