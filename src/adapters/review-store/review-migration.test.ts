import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PG_URL, requirePostgres, uniqueId } from '../../../test/helpers/real-services.js';
import { tempDir } from '../../../test/helpers/sample.js';
import { openReviewStore } from './index.js';

/*
 * A queue written by the previous version (schema 1: no text keys, duplicates of one text as
 * separate open items, as a load test left ~57,000 of them) must open and keep working.
 */

const V1 = (t: string, idType: string) => `CREATE TABLE ${t} (
  id ${idType} PRIMARY KEY, text text NOT NULL, guess text NOT NULL, confidence double precision NOT NULL,
  alternatives ${idType === 'TEXT' ? 'TEXT' : 'jsonb'} NOT NULL, reason text NOT NULL, model_name text NOT NULL, model_version text NOT NULL,
  request_id text, state text NOT NULL, created_at ${idType === 'TEXT' ? 'TEXT' : 'timestamptz'} NOT NULL, updated_at ${idType === 'TEXT' ? 'TEXT' : 'timestamptz'} NOT NULL,
  claimed_by text, label text, labelled_by text)`;
const ROWS = ['01J0000000000000000000000A', '01J0000000000000000000000B', '01J0000000000000000000000C'].map((id) => [id, 'where is my parcel', 'delivery', 0.4, '[]', 'low_confidence', 'm', '1', null, 'open', '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z', null, null, null]);

async function checkUpgraded(uri: string): Promise<void> {
  const store = await openReviewStore(uri);
  try {
    const items = await store.list();
    expect(items.map((i) => [i.id, i.count, i.lastSeenAt])).toEqual(ROWS.map((r) => [r[0], 1, '2025-01-01T00:00:00.000Z']));
    expect(await store.openCount()).toBe(3);
    // old items keep a key of their own; new repeats of the text gather on one new item
    const a = await store.add({ text: 'where is my parcel', guess: 'delivery', confidence: 0.4, alternatives: [], reason: 'low_confidence', model: { name: 'm', version: '1' } });
    const b = await store.add({ text: 'Where is my parcel', guess: 'delivery', confidence: 0.4, alternatives: [], reason: 'low_confidence', model: { name: 'm', version: '1' } });
    expect(b).toMatchObject({ id: a.id, count: 2 });
    expect(await store.openCount()).toBe(4);
    // the old open rows got their order terms on open: they have waited longest, so they come first, oldest first
    const ranked = await store.list({ state: 'open', order: 'priority' });
    expect(ranked.map((i) => i.id)).toEqual([...ROWS.map((r) => r[0]), a.id]);
    expect(ranked[0].weightedCount).toBeCloseTo(1, 12);
  } finally {
    await store.close();
  }
}

describe('review store: a schema-1 queue with duplicates is upgraded in place', () => {
  const schema = `mig_${uniqueId()}`;
  afterAll(async () => {
    if (!(await requirePostgres().then(() => true, () => false))) return;
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => c.end());
  });

  it('SQLite', async () => {
    const file = join(tempDir('intentops-review-mig-'), 'old.db');
    const db = new Database(file);
    db.exec(`${V1('review_items', 'TEXT')}; CREATE TABLE review_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL) STRICT; INSERT INTO review_migrations VALUES (1, '2025-01-01')`);
    const insert = db.prepare(`INSERT INTO review_items VALUES (${ROWS[0].map(() => '?').join(', ')})`);
    for (const r of ROWS) insert.run(...r);
    db.close();
    await checkUpgraded(`sqlite:${file}`);
  });

  it('PostgreSQL', async () => {
    await requirePostgres();
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      await c.query(`CREATE SCHEMA "${schema}"`);
      await c.query(V1(`"${schema}".intentops_review_items`, 'text COLLATE "C"'));
      await c.query(`CREATE TABLE "${schema}".intentops_review_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now()); INSERT INTO "${schema}".intentops_review_migrations (version) VALUES (1)`);
      for (const r of ROWS) await c.query(`INSERT INTO "${schema}".intentops_review_items VALUES (${r.map((_, i) => `$${i + 1}`).join(', ')})`, r);
    } finally {
      await c.end();
    }
    await checkUpgraded(`${PG_URL}?schema=${schema}`);
  });
});
