import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PG_URL, requirePostgres, uniqueId } from '../../../test/helpers/real-services.js';
import { rejection, tempDir } from '../../../test/helpers/sample.js';
import { migrate, MIGRATIONS_TABLE, openSqlDb, table, type MigrationStep, type SqlDb } from './index.js';

/*
 * The one migration runner, on both dialects: both version ledgers that databases written by
 * earlier releases carry (a row per component in intentops_migrations; a table of version rows
 * per store) are read, continued from where they stand, and refused when newer than the code.
 */

const step = (sql: (db: SqlDb) => string): MigrationStep => (db) => ({ sqlite: [sql(db)], postgres: [sql(db)] });
const STEPS = [step((db) => `CREATE TABLE ${table(db, 'm_items')} (id TEXT PRIMARY KEY)`), step((db) => `ALTER TABLE ${table(db, 'm_items')} ADD COLUMN note TEXT`)];

const schema = `mig_${uniqueId()}`;
const dialects: [string, () => Promise<string>][] = [
  ['sqlite', async () => `sqlite:${join(tempDir('intentops-migrate-'), `${uniqueId()}.db`)}`],
  [
    'postgres',
    async () => {
      await requirePostgres();
      return `${PG_URL}?schema=${schema}_${uniqueId()}`;
    },
  ],
];

afterAll(async () => {
  if (!(await requirePostgres().then(() => true, () => false))) return;
  const db = await openSqlDb(PG_URL, 'test');
  const rows = await db.all<{ nspname: string }>(`SELECT nspname FROM pg_namespace WHERE nspname LIKE ?`, [`${schema}%`]);
  for (const r of rows) await db.run(`DROP SCHEMA "${r.nspname}" CASCADE`);
  await db.close();
});

describe.each(dialects)('migrate (%s)', (_name, uri) => {
  it('a versions ledger written by an earlier release: continues from its last version, one row per step', async () => {
    const db = await openSqlDb(await uri(), 'test');
    try {
      // as the release before left it: version 1 applied, recorded in <store>_migrations
      if (db.schema) await db.run(`CREATE SCHEMA "${db.schema}"`);
      await STEPS[0](db)[db.dialect].reduce((p, s) => p.then(() => db.run(s)), Promise.resolve(0));
      await db.run(db.dialect === 'postgres' ? `CREATE TABLE ${table(db, 'm_migrations')} (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())` : `CREATE TABLE ${table(db, 'm_migrations')} (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL) STRICT`);
      await db.run(`INSERT INTO ${table(db, 'm_migrations')} (version, applied_at) VALUES (1, '2025-01-01T00:00:00Z')`);
      await db.run(`INSERT INTO ${table(db, 'm_items')} (id) VALUES ('kept')`);
      expect(await migrate(db, { versions: 'm_migrations' }, STEPS)).toBe(2);
      expect(await db.all(`SELECT version FROM ${table(db, 'm_migrations')} ORDER BY version`)).toEqual([{ version: 1 }, { version: 2 }]);
      expect(await db.all(`SELECT id, note FROM ${table(db, 'm_items')}`)).toEqual([{ id: 'kept', note: null }]);
      // opening again changes nothing
      expect(await migrate(db, { versions: 'm_migrations' }, STEPS)).toBe(2);
      expect(await db.all(`SELECT version FROM ${table(db, 'm_migrations')} ORDER BY version`)).toHaveLength(2);
      // newer than the code: refused, naming the version
      await db.run(`INSERT INTO ${table(db, 'm_migrations')} (version, applied_at) VALUES (7, '2030-01-01T00:00:00Z')`);
      const err = await rejection(migrate(db, { versions: 'm_migrations' }, STEPS, { what: 'm', configKey: 'm.uri' }));
      expect(err.code).toBe('invalid_config');
      expect(err.message).toMatch(/the m tables are at schema version 7, newer than this IntentOps knows \(2\)/);
      expect(err.hint).toContain('m.uri');
    } finally {
      await db.close();
    }
  });

  it('a component ledger: one row in intentops_migrations, moved on as steps are added', async () => {
    const db = await openSqlDb(await uri(), 'test');
    try {
      expect(await migrate(db, 'm', STEPS.slice(0, 1))).toBe(1);
      expect(await migrate(db, 'm', STEPS)).toBe(2);
      expect(await db.all(`SELECT component, version FROM ${table(db, MIGRATIONS_TABLE)}`)).toEqual([{ component: 'm', version: 2 }]);
      await db.run(`INSERT INTO ${table(db, 'm_items')} (id, note) VALUES ('a', 'b')`);
    } finally {
      await db.close();
    }
  });

  it('a failing step leaves the previous version and no half-applied DDL', async () => {
    const db = await openSqlDb(await uri(), 'test');
    try {
      await migrate(db, { versions: 'm_migrations' }, STEPS.slice(0, 1));
      const broken = [...STEPS.slice(0, 1), (d: SqlDb) => ({ sqlite: [`ALTER TABLE ${table(d, 'm_items')} ADD COLUMN x TEXT`, 'NOT SQL AT ALL'], postgres: [`ALTER TABLE ${table(d, 'm_items')} ADD COLUMN x TEXT`, 'NOT SQL AT ALL'] })];
      await expect(migrate(db, { versions: 'm_migrations' }, broken)).rejects.toMatchObject({ code: 'internal' });
      expect(await db.all(`SELECT MAX(version) AS v FROM ${table(db, 'm_migrations')}`)).toEqual([{ v: 1 }]);
      expect(await migrate(db, { versions: 'm_migrations' }, STEPS)).toBe(2);
    } finally {
      await db.close();
    }
  });
});

describe('sqlite transactions', () => {
  it('a joinAll transaction takes in every call made while it is open, and a nested one is a savepoint', async () => {
    const db = await openSqlDb(`sqlite:${join(tempDir('intentops-join-'), 'j.db')}`, 'test');
    try {
      await db.run('CREATE TABLE j (n INTEGER)');
      await db.transaction(async () => {
        await db.run('INSERT INTO j VALUES (1)');
        // a nested transaction that fails rolls back its own writes only
        await expect(db.transaction(async (tx) => {
          await tx.run('INSERT INTO j VALUES (2)');
          throw new Error('no');
        })).rejects.toThrow(/no/);
        await db.run('INSERT INTO j VALUES (3)');
      }, { joinAll: true });
      expect(await db.all('SELECT n FROM j ORDER BY n')).toEqual([{ n: 1 }, { n: 3 }]);
      // a failing joinAll transaction keeps none of what joined it
      await expect(db.transaction(async () => {
        await db.run('INSERT INTO j VALUES (4)');
        throw new Error('commit refused');
      }, { joinAll: true })).rejects.toThrow(/commit refused/);
      expect(await db.all('SELECT n FROM j ORDER BY n')).toEqual([{ n: 1 }, { n: 3 }]);
    } finally {
      await db.close();
    }
  });

  it('outside joinAll, a call made while a transaction awaits waits for it (never lands inside it)', async () => {
    const db = await openSqlDb(`sqlite:${join(tempDir('intentops-serial-'), 's.db')}`, 'test');
    try {
      await db.run('CREATE TABLE s (n INTEGER)');
      let outside: Promise<number> | undefined;
      await expect(db.transaction(async (tx) => {
        await tx.run('INSERT INTO s VALUES (1)');
        outside = db.run('INSERT INTO s VALUES (2)');
        await new Promise((r) => setTimeout(r, 20));
        throw new Error('rolled back');
      })).rejects.toThrow(/rolled back/);
      await outside;
      expect(await db.all('SELECT n FROM s')).toEqual([{ n: 2 }]);
    } finally {
      await db.close();
    }
  });
});
