import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { nodeScript } from '../../../test/helpers/node-script.js';
import { ROOT, rejection, tempDir } from '../../../test/helpers/sample.js';
import { openSqliteReviewStore } from './index.js';

const item = { text: 'hello', guess: 'a', confidence: 0.2, alternatives: [], reason: 'llm_failed' as const, model: { name: 'm', version: '1' } };

describe('sqlite review store', () => {
  it('uses WAL, records its schema version, and creates missing parent directories', async () => {
    const file = join(tempDir(), 'nested', 'deeper', 'review.db');
    const store = await openSqliteReviewStore(file);
    await store.add(item);
    await store.close();
    const db = new Database(file, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.prepare('SELECT version FROM review_migrations').all()).toEqual([{ version: 1 }, { version: 2 }, { version: 3 }]);
    db.close();
    // reopening does not migrate twice
    await (await openSqliteReviewStore(file)).close();
  });

  it('refuses a database from a newer IntentOps with invalid_config', async () => {
    const file = join(tempDir(), 'review.db');
    await (await openSqliteReviewStore(file)).close();
    const db = new Database(file);
    db.prepare('INSERT INTO review_migrations (version, applied_at) VALUES (99, ?)').run(new Date().toISOString());
    db.close();
    const err = await rejection(openSqliteReviewStore(file));
    expect(err.code).toBe('invalid_config');
    expect(err.message).toMatch(/schema version 99/);
  });

  it('says a file that is not a database is corrupt, without touching it', async () => {
    const file = join(tempDir(), 'notes.txt');
    writeFileSync(file, 'this is not sqlite '.repeat(100));
    const err = await rejection(openSqliteReviewStore(file));
    expect(err.code).toBe('corrupt');
    expect(err.message).toContain(file);
  });
});

/** Starts the writer child, lets it run `extraMs` after it says it started, then SIGKILLs it. */
async function killWriter(file: string, extraMs: number): Promise<number> {
  // node itself, on the script compiled against dist/ (test/helpers/node-script.ts)
  const argv = await nodeScript('test/helpers/review-writer.ts', [file]);
  return new Promise((resolveP, reject) => {
    const child = spawn(process.execPath, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let killing = false;
    child.stdout.on('data', (d) => {
      out += d;
      if (!killing && out.includes('STARTED')) {
        killing = true;
        setTimeout(() => child.kill('SIGKILL'), extraMs);
      }
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') return reject(new Error(`writer exited ${code}: ${out}${err}`));
      const acked = [...out.matchAll(/COMMITTED (\d+)/g)].map((m) => Number(m[1]));
      resolveP(Math.max(0, ...acked));
    });
  });
}

describe('sqlite review store: crash safety', () => {
  for (const extraMs of [0, 7, 40]) {
    it(`a writer killed ${extraMs} ms into a batch of adds leaves an openable database of whole items`, async () => {
      const file = join(tempDir(), 'review.db');
      const acked = await killWriter(file, extraMs);
      const db = new Database(file);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      db.close();

      const store = await openSqliteReviewStore(file);
      const all = [];
      for (let after: string | undefined; ; ) {
        const page = await store.list({ limit: 1000, after });
        if (!page.length) break;
        all.push(...page);
        after = page[page.length - 1].id;
      }
      // every add the writer saw complete is there, and nothing half-written is
      expect(all.length).toBeGreaterThanOrEqual(acked);
      all.forEach((x, i) => {
        expect(x.text).toBe(`item ${i} ${'x'.repeat(20_000)} end ${i}`);
        expect(x.requestId).toBe(`req-${i}`);
        expect(x.alternatives).toHaveLength(50);
        expect(x.state).toBe('open');
      });
      // and the store carries on
      const next = await store.add(item);
      expect(next.id > all[all.length - 1].id).toBe(true);
      await store.close();
    });
  }
});
