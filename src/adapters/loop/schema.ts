import { table, type Migration, type SqlDb } from '../sql/index.js';

/** The loop tables' version lives under this name in the shared migrations table. */
export const LOOP_COMPONENT = 'loop';

/** Version 1: iterations (state machine rows) and their append-only journal. */
function v1(db: SqlDb): Migration {
  const t = (n: string) => table(db, n);
  const iterations = (id: string) => `CREATE TABLE ${t('loop_iterations')} (
    id ${id},
    name TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('collect', 'retrain', 'shadow', 'judge', 'promote', 'done')),
    outcome TEXT CHECK (outcome IN ('promoted', 'stopped', 'idle')),
    reason TEXT,
    labels INTEGER,
    version INTEGER,
    baseline INTEGER,
    shadow_since TEXT,
    started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    revision INTEGER NOT NULL,
    detail TEXT NOT NULL
  )`;
  const journal = (id: string) => `CREATE TABLE ${t('loop_journal')} (
    id ${id},
    iteration INTEGER NOT NULL,
    step TEXT NOT NULL,
    phase TEXT NOT NULL CHECK (phase IN ('start', 'end')),
    outcome TEXT,
    detail TEXT,
    at TEXT NOT NULL
  )`;
  return {
    sqlite: [
      iterations('INTEGER PRIMARY KEY AUTOINCREMENT'),
      journal('INTEGER PRIMARY KEY AUTOINCREMENT'),
      `CREATE INDEX loop_iterations_name ON loop_iterations (name, id)`,
      // one unfinished iteration per model, whoever writes
      `CREATE UNIQUE INDEX loop_iterations_open ON loop_iterations (name) WHERE state <> 'done'`,
      `CREATE INDEX loop_journal_iteration ON loop_journal (iteration, id)`,
      ...['UPDATE', 'DELETE'].map((op) => `CREATE TRIGGER loop_journal_no_${op.toLowerCase()} BEFORE ${op} ON loop_journal BEGIN SELECT RAISE(ABORT, 'the loop journal is append-only'); END`),
    ],
    postgres: [
      iterations('INTEGER GENERATED ALWAYS AS IDENTITY PRIMARY KEY'),
      journal('INTEGER GENERATED ALWAYS AS IDENTITY PRIMARY KEY'),
      `CREATE INDEX loop_iterations_name ON ${t('loop_iterations')} (name, id)`,
      `CREATE UNIQUE INDEX loop_iterations_open ON ${t('loop_iterations')} (name) WHERE state <> 'done'`,
      `CREATE INDEX loop_journal_iteration ON ${t('loop_journal')} (iteration, id)`,
      `CREATE FUNCTION ${t('loop_refuse_change')}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'the loop journal is append-only'; END $$`,
      `CREATE TRIGGER loop_journal_append_only BEFORE UPDATE OR DELETE ON ${t('loop_journal')} FOR EACH ROW EXECUTE FUNCTION ${t('loop_refuse_change')}()`,
    ],
  };
}

export const LOOP_MIGRATIONS = Object.freeze([v1]);
