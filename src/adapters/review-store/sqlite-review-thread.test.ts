import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { rejection, tempDir } from '../../../test/helpers/sample.js';
import { openReviewStore } from './index.js';

const item = { text: 'hello', guess: 'a', confidence: 0.2, alternatives: [{ intent: 'a', score: 0.2 }], reason: 'low_confidence' as const, model: { name: 'm', version: '1' } };

describe('the SQLite review store on its own thread (what sqlite:FILE opens)', () => {
  it('keeps the event loop turning while an add waits for another connection’s write lock, and commits once it is free', async () => {
    const file = join(tempDir(), 'review.db');
    const store = await openReviewStore(`sqlite:${file}`);
    const other = new Database(file);
    other.prepare('BEGIN IMMEDIATE').run(); // holds the write lock
    let settled = false;
    const added = store.add(item).finally(() => (settled = true));
    // an in-process store would block this thread in SQLite's busy handler (and then deadlock on
    // the lock this same thread holds); on its own thread the add waits while timers still fire
    let ticks = 0;
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 20));
      ticks++;
    }
    expect(ticks).toBe(5);
    expect(settled).toBe(false);
    other.prepare('COMMIT').run();
    const it = await added;
    expect(it).toMatchObject({ ...item, state: 'open' });
    expect(other.prepare('SELECT COUNT(*) AS n FROM review_items').get()).toEqual({ n: 1 });
    other.close();
    await store.close();
  });

  it('passes a refusal back with its code and message, and refuses calls after close', async () => {
    const store = await openReviewStore(`sqlite:${join(tempDir(), 'review.db')}`);
    const a = await store.add(item);
    await store.claim(a.id, 'ana');
    const err = await rejection(store.resolve(a.id, 'bo', { label: 'a' }));
    expect(err.code).toBe('invalid_input');
    expect(err.message).toMatch(/claimed by "ana"/);
    await store.close();
    await store.close(); // idempotent
    const closed = await rejection(store.list());
    expect(closed.code).toBe('unavailable');
    expect(closed.message).toMatch(/closed/);
  });

  it('writes the adds made in one turn in one transaction: each answered with its own item or its own refusal, all committed', async () => {
    const file = join(tempDir(), 'review.db');
    const store = await openReviewStore(`sqlite:${file}`);
    const texts = Array.from({ length: 20 }, (_, i) => `message ${i}`);
    // one turn of the event loop: the calls travel to the thread as one batch
    const adds = texts.map((text) => store.add({ ...item, text }));
    const bad = rejection(store.add({ ...item, text: '' }));
    const claim = rejection(store.claim('01J00000000000000000000000', 'ana'));
    const items = await Promise.all(adds);
    expect(items.map((x) => x.text)).toEqual(texts);
    expect(new Set(items.map((x) => x.id)).size).toBe(texts.length);
    expect((await bad).code).toBe('invalid_input');
    expect((await claim).code).toBe('not_found');
    const other = new Database(file);
    expect(other.prepare('SELECT COUNT(*) AS n FROM review_items').get()).toEqual({ n: texts.length });
    other.close();
    await store.close();
  });

  it('fails to open a file that is not a database with the store’s own error', async () => {
    const file = join(tempDir(), 'notes.db');
    (await import('node:fs')).writeFileSync(file, 'not sqlite '.repeat(200));
    const err = await rejection(openReviewStore(`sqlite:${file}`));
    expect(err.code).toBe('corrupt');
    expect(err.message).toContain(file);
  });
});
