import { IntentOpsError } from '../../core/errors.js';
import { table, type Dialect, type SqlDb, type SqlExecutor } from './db.js';

/** One schema step: the statements per dialect, applied in order inside one transaction. */
export type Migration = Readonly<Record<Dialect, readonly string[]>>;

/** A step as a function of the connection, so its DDL can name schema-qualified (or prefixed) tables. */
export type MigrationStep = (db: SqlDb) => Migration;

/** The table where the tracking, registry, rollout and loop stores keep their version, a row per component. */
export const MIGRATIONS_TABLE = 'intentops_migrations';

/**
 * Where a store's schema version is recorded. Two shapes exist in databases written by the
 * releases before this layer, and both are kept (read and written) so those databases open as
 * they are and an older release opening a newer database still sees its version and refuses it:
 *
 * - `{ component }`: one row `(component, version)` in `intentops_migrations` (tracking,
 *   registry, rollout, loop);
 * - `{ versions }`: a table of its own with one row `(version, applied_at)` per step applied
 *   (`review_migrations`, `events_migrations`; on PostgreSQL with the table prefix).
 */
export type Ledger = { readonly component: string } | { readonly versions: string };

/** What the errors call the store's tables, and the config key that points at them. */
interface Names {
  readonly what: string;
  readonly configKey?: string;
}

async function currentVersion(tx: SqlExecutor, db: SqlDb, ledger: Ledger): Promise<number> {
  if ('component' in ledger) {
    const meta = table(db, MIGRATIONS_TABLE);
    await tx.run(`CREATE TABLE IF NOT EXISTS ${meta} (component TEXT PRIMARY KEY, version INTEGER NOT NULL)`);
    const row = (await tx.all<{ version: number }>(`SELECT version FROM ${meta} WHERE component = ?`, [ledger.component]))[0];
    return row ? Number(row.version) : 0;
  }
  const t = table(db, ledger.versions);
  await tx.run(
    db.dialect === 'postgres'
      ? `CREATE TABLE IF NOT EXISTS ${t} (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`
      : `CREATE TABLE IF NOT EXISTS ${t} (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL) STRICT`,
  );
  const [row] = await tx.all<{ v: number | string | null }>(`SELECT MAX(version) AS v FROM ${t}`);
  return Number(row?.v ?? 0);
}

async function record(tx: SqlExecutor, db: SqlDb, ledger: Ledger, from: number, to: number): Promise<void> {
  if ('component' in ledger) {
    const meta = table(db, MIGRATIONS_TABLE);
    if (from === 0) await tx.run(`INSERT INTO ${meta} (component, version) VALUES (?, ?)`, [ledger.component, to]);
    else await tx.run(`UPDATE ${meta} SET version = ? WHERE component = ?`, [to, ledger.component]);
    return;
  }
  const t = table(db, ledger.versions);
  for (let v = from + 1; v <= to; v++) await tx.run(`INSERT INTO ${t} (version, applied_at) VALUES (?, ?)`, [v, new Date().toISOString()]);
}

/**
 * Brings a store's tables to the latest version: the one migration runner of every SQL store.
 * Runs in one transaction (SQLite: BEGIN IMMEDIATE; PostgreSQL: under an advisory lock), so two
 * processes opening a fresh database at once do not race, and a crash mid-way leaves the
 * previous version. Tables newer than `steps` fail 'invalid_config'. Returns the version.
 *
 * `ledger` is a component name (a row in intentops_migrations) or `{ versions: table }`.
 */
export async function migrate(db: SqlDb, ledger: string | Ledger, steps: readonly MigrationStep[], names: Partial<Names> = {}): Promise<number> {
  const l: Ledger = typeof ledger === 'string' ? { component: ledger } : ledger;
  const what = names.what ?? ('component' in l ? l.component : l.versions.replace(/_migrations$/, ''));
  return db.transaction(async (tx) => {
    if (db.dialect === 'postgres') {
      await tx.all(`SELECT pg_advisory_xact_lock(hashtext('intentops-migrations'))`);
      if (db.schema) await tx.run(`CREATE SCHEMA IF NOT EXISTS "${db.schema}"`);
    }
    const current = await currentVersion(tx, db, l);
    if (current > steps.length) {
      throw new IntentOpsError('invalid_config', `the ${what} tables are at schema version ${current}, newer than this IntentOps knows (${steps.length})`, {
        where: db.where,
        hint: `upgrade IntentOps, or point ${names.configKey ?? 'the store URI'} at another database`,
      });
    }
    for (let v = current; v < steps.length; v++) {
      for (const stmt of steps[v](db)[db.dialect]) await tx.run(stmt);
    }
    if (current < steps.length) await record(tx, db, l, current, steps.length);
    return steps.length;
  });
}
