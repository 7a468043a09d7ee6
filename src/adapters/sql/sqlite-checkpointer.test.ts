import Database from 'better-sqlite3';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { tempDir } from '../../../test/helpers/sample.js';
import { checkpointInBackground } from './sqlite-checkpointer.js';

function fill(db: Database.Database, rows: number): void {
  db.exec('CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)');
  const ins = db.prepare('INSERT INTO t (v) VALUES (?)');
  db.transaction(() => {
    for (let i = 0; i < rows; i++) ins.run('x'.repeat(200));
  })();
}

describe('checkpointInBackground', () => {
  it('turns automatic checkpoints off on the connection and checkpoints from a worker thread', async () => {
    const path = join(tempDir('intentops-ckpt-'), 'a.db');
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    const release = checkpointInBackground(db, path, { everyMs: 50 });
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    // the table is created and checkpointed first: the worker (another thread) may otherwise
    // checkpoint that small commit while the big one is being written, growing the file a page
    db.exec('CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)');
    db.pragma('wal_checkpoint(TRUNCATE)');
    const before = statSync(path).size;
    fill(db, 20_000); // ~4 MB: over the default 1000-page threshold, so SQLite alone would have checkpointed in this commit
    // the commit left everything in the WAL: the database file only grows once the worker checkpoints
    expect(statSync(path).size).toBe(before);
    await vi.waitFor(() => expect(statSync(path).size).toBeGreaterThan(before + 3_000_000), { timeout: 10_000, interval: 20 });
    db.close();
    await release();
    const again = new Database(path, { readonly: true });
    expect(again.prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: 20_000 });
    again.close();
  });

  it('shares one worker per file between connections; the last release stops it', async () => {
    const path = join(tempDir('intentops-ckpt-'), 'b.db');
    const a = new Database(path);
    a.pragma('journal_mode = WAL');
    const b = new Database(path);
    const ra = checkpointInBackground(a, path, { everyMs: 50 });
    const rb = checkpointInBackground(b, path, { everyMs: 50 });
    fill(a, 1000);
    fill(b, 1000);
    a.close();
    await ra();
    fill(b, 1000); // the worker is still there for b
    b.close();
    await rb();
    await rb(); // idempotent
    const again = new Database(path, { readonly: true });
    expect(again.prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: 3000 });
    again.close();
  });
});
