import { IntentOpsError } from '../../../core/errors.js';
import { table, type Dialect, type SqlDb } from './db.js';

/** One schema step: the statements per dialect, applied in order inside one transaction. */
export type Migration = Readonly<Record<Dialect, readonly string[]>>;

/** Every store keeps its schema version in this table under its own component name. */
export const MIGRATIONS_TABLE = 'intentops_migrations';

/**
 * Brings `component`'s tables to the latest version. Runs in one transaction (and on
 * PostgreSQL under an advisory lock), so two processes opening a fresh database at once do not
 * race, and a crash mid-way leaves the previous version. Each step is a function of the connection so its DDL can name schema-qualified tables.
 */
export async function migrate(db: SqlDb, component: string, migrations: readonly ((db: SqlDb) => Migration)[]): Promise<number> {
  const meta = table(db, MIGRATIONS_TABLE);
  return db.transaction(async (tx) => {
    if (db.dialect === 'postgres') {
      await tx.all(`SELECT pg_advisory_xact_lock(hashtext('intentops-migrations'))`);
      if (db.schema) await tx.run(`CREATE SCHEMA IF NOT EXISTS "${db.schema}"`);
    }
    await tx.run(`CREATE TABLE IF NOT EXISTS ${meta} (component TEXT PRIMARY KEY, version INTEGER NOT NULL)`);
    const row = (await tx.all<{ version: number }>(`SELECT version FROM ${meta} WHERE component = ?`, [component]))[0];
    const current = row ? Number(row.version) : 0;
    if (current > migrations.length) {
      throw new IntentOpsError('invalid_config', `the ${component} tables are at schema version ${current}, newer than this intentops understands (${migrations.length})`, {
        where: db.where,
        hint: 'upgrade intentops, or point the store URI at another database',
      });
    }
    for (let v = current; v < migrations.length; v++) {
      for (const stmt of migrations[v](db)[db.dialect]) await tx.run(stmt);
    }
    if (current === 0) await tx.run(`INSERT INTO ${meta} (component, version) VALUES (?, ?)`, [component, migrations.length]);
    else if (current < migrations.length) await tx.run(`UPDATE ${meta} SET version = ? WHERE component = ?`, [migrations.length, component]);
    return migrations.length;
  });
}
