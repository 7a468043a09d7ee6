import { table, type Migration, type SqlDb } from '../sql/index.js';

export const REGISTRY_COMPONENT = 'registry';

/**
 * Version 1. `registry_models.last_version` is the per-model counter: incrementing it locks the
 * model's row, which is what makes concurrent registrations get consecutive numbers. Triggers
 * make versions and the alias log append-only, whoever writes to the database.
 */
function v1(db: SqlDb): Migration {
  const t = (n: string) => table(db, n);
  const models = `CREATE TABLE ${t('registry_models')} (name TEXT PRIMARY KEY, created_at TEXT NOT NULL, last_version INTEGER NOT NULL DEFAULT 0)`;
  const versions = (json: string) => `CREATE TABLE ${t('registry_versions')} (
    name TEXT NOT NULL REFERENCES ${t('registry_models')} (name),
    version INTEGER NOT NULL CHECK (version > 0),
    artifact TEXT NOT NULL,
    run_id TEXT,
    description TEXT,
    source TEXT,
    metrics ${json} NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT,
    PRIMARY KEY (name, version)
  )`;
  const aliases = `CREATE TABLE ${t('registry_aliases')} (
    name TEXT NOT NULL,
    alias TEXT NOT NULL,
    version INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (name, alias),
    FOREIGN KEY (name, version) REFERENCES ${t('registry_versions')} (name, version)
  )`;
  const log = (id: string) => `CREATE TABLE ${t('registry_alias_log')} (
    id ${id},
    name TEXT NOT NULL,
    alias TEXT NOT NULL,
    from_version INTEGER,
    to_version INTEGER,
    who TEXT NOT NULL,
    why TEXT,
    at TEXT NOT NULL
  )`;
  const refuse = (name: string, tbl: string, what: string) =>
    `CREATE TRIGGER ${name} BEFORE UPDATE OR DELETE ON ${t(tbl)} FOR EACH ROW EXECUTE FUNCTION ${t('registry_refuse_change')}('${what}')`;
  return {
    sqlite: [
      models,
      versions('TEXT'),
      aliases,
      log('INTEGER PRIMARY KEY AUTOINCREMENT'),
      `CREATE INDEX registry_alias_log_name ON registry_alias_log (name, id)`,
      ...['UPDATE', 'DELETE'].flatMap((op) => [
        `CREATE TRIGGER registry_versions_no_${op.toLowerCase()} BEFORE ${op} ON registry_versions BEGIN SELECT RAISE(ABORT, 'model versions are immutable'); END`,
        `CREATE TRIGGER registry_alias_log_no_${op.toLowerCase()} BEFORE ${op} ON registry_alias_log BEGIN SELECT RAISE(ABORT, 'the alias log is append-only'); END`,
      ]),
    ],
    postgres: [
      models,
      versions('JSONB'),
      aliases,
      log('INTEGER GENERATED ALWAYS AS IDENTITY PRIMARY KEY'),
      `CREATE INDEX registry_alias_log_name ON ${t('registry_alias_log')} (name, id)`,
      `CREATE FUNCTION ${t('registry_refuse_change')}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '%', TG_ARGV[0]; END $$`,
      refuse('registry_versions_immutable', 'registry_versions', 'model versions are immutable'),
      refuse('registry_alias_log_append_only', 'registry_alias_log', 'the alias log is append-only'),
    ],
  };
}

export const REGISTRY_MIGRATIONS = Object.freeze([v1]);
