import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { rejection } from '../../../test/helpers/sample.js';
import { dropPgTables, PG_URL, requirePostgres, uniqueId } from '../../../test/helpers/real-services.js';
import { openPostgresReviewStore } from './index.js';

const item = { text: 'hello', guess: 'a', confidence: 0.2, alternatives: [], reason: 'llm_none' as const, model: { name: 'm', version: '1' } };

describe('postgres review store (real server)', () => {
  const run = `p_${uniqueId()}_`;
  afterAll(() => dropPgTables(run));

  it('replicas opening a new database at once migrate it exactly once', async () => {
    await requirePostgres();
    const tablePrefix = `${run}race_`;
    const stores = await Promise.all(Array.from({ length: 4 }, () => openPostgresReviewStore(PG_URL, { tablePrefix, poolSize: 2 })));
    await Promise.all(stores.map((s) => s.add(item)));
    // the same text from four replicas at once: one item counting all four
    const items = await stores[0].list();
    expect(items.map((i) => i.count)).toEqual([4]);
    await Promise.all(stores.map((s) => s.close()));
    const client = new pg.Client(PG_URL);
    await client.connect();
    const { rows } = await client.query(`SELECT version FROM ${tablePrefix}review_migrations`);
    await client.end();
    expect(rows).toEqual([{ version: 1 }, { version: 2 }, { version: 3 }]);
  });

  it('refuses tables from a newer IntentOps with invalid_config', async () => {
    await requirePostgres();
    const tablePrefix = `${run}newer_`;
    await (await openPostgresReviewStore(PG_URL, { tablePrefix })).close();
    const client = new pg.Client(PG_URL);
    await client.connect();
    await client.query(`INSERT INTO ${tablePrefix}review_migrations (version) VALUES (42)`);
    await client.end();
    const err = await rejection(openPostgresReviewStore(PG_URL, { tablePrefix }));
    expect(err.code).toBe('invalid_config');
    expect(err.message).toMatch(/schema version 42/);
  });

  it('?schema=NAME puts the tables in that schema (as the registry and tracking stores do)', async () => {
    await requirePostgres();
    const schema = `${run}schema`;
    const client = new pg.Client(PG_URL);
    await client.connect();
    try {
      const store = await openPostgresReviewStore(`${PG_URL}?schema=${schema}&application_name=intentops-test`);
      const a = await store.add(item);
      await store.close();
      const { rows } = await client.query(`SELECT id FROM "${schema}".intentops_review_items`);
      expect(rows).toEqual([{ id: a.id }]);
      const bad = await rejection(openPostgresReviewStore(`${PG_URL}?schema=x;drop`));
      expect(bad.code).toBe('invalid_config');
    } finally {
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    }
  });

  it('rejects a table prefix that is not a plain identifier', async () => {
    for (const tablePrefix of ['', 'Drop;', 'a-b', 'x'.repeat(41)]) {
      expect((await rejection(openPostgresReviewStore(PG_URL, { tablePrefix }))).code).toBe('invalid_config');
    }
  });

  it('a database that does not exist is a configuration error naming the fix', async () => {
    await requirePostgres();
    const err = await rejection(openPostgresReviewStore(PG_URL.replace(/\/[^/]*$/, '/no_such_db_intentops'), { tablePrefix: run }));
    expect(err.code).toBe('invalid_config');
    expect(err.hint).toMatch(/createdb/);
  });

  it('a server that is not there fails fast with unavailable, the password masked', async () => {
    const t = Date.now();
    const err = await rejection(openPostgresReviewStore('postgres://ana:hunter2@127.0.0.1:1/test', { tablePrefix: run }));
    expect(err.code).toBe('unavailable');
    expect(err.describe()).not.toContain('hunter2');
    expect(err.where).toContain('ana:***@');
    expect(Date.now() - t).toBeLessThan(6000);
  });
});
