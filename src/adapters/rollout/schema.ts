import { table, type Migration, type SqlDb } from '../sql/index.js';

/** The rollout tables' version lives under this name in the shared migrations table. */
export const ROLLOUT_COMPONENT = 'rollout';

/**
 * Version 1: the current state per model, and the append-only audit log of changes (triggers
 * refuse UPDATE and DELETE on it, whoever writes to the database).
 */
function v1(db: SqlDb): Migration {
  const t = (n: string) => table(db, n);
  const state = `CREATE TABLE ${t('rollout_state')} (
    name TEXT PRIMARY KEY,
    mode TEXT NOT NULL CHECK (mode IN ('off', 'shadow', 'canary', 'ab')),
    share DOUBLE PRECISION NOT NULL CHECK (share >= 0 AND share <= 1),
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    note TEXT
  )`;
  const log = (id: string) => `CREATE TABLE ${t('rollout_log')} (
    id ${id},
    name TEXT NOT NULL,
    from_mode TEXT,
    from_share DOUBLE PRECISION,
    to_mode TEXT NOT NULL,
    to_share DOUBLE PRECISION NOT NULL,
    who TEXT NOT NULL,
    why TEXT,
    at TEXT NOT NULL
  )`;
  return {
    sqlite: [
      state,
      log('INTEGER PRIMARY KEY AUTOINCREMENT'),
      `CREATE INDEX rollout_log_name ON rollout_log (name, id)`,
      ...['UPDATE', 'DELETE'].map((op) => `CREATE TRIGGER rollout_log_no_${op.toLowerCase()} BEFORE ${op} ON rollout_log BEGIN SELECT RAISE(ABORT, 'the rollout log is append-only'); END`),
    ],
    postgres: [
      state,
      log('INTEGER GENERATED ALWAYS AS IDENTITY PRIMARY KEY'),
      `CREATE INDEX rollout_log_name ON ${t('rollout_log')} (name, id)`,
      `CREATE FUNCTION ${t('rollout_refuse_change')}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'the rollout log is append-only'; END $$`,
      `CREATE TRIGGER rollout_log_append_only BEFORE UPDATE OR DELETE ON ${t('rollout_log')} FOR EACH ROW EXECUTE FUNCTION ${t('rollout_refuse_change')}()`,
    ],
  };
}

export const ROLLOUT_MIGRATIONS = Object.freeze([v1]);
