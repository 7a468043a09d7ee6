import { table, type Migration, type SqlDb } from '../sql/index.js';

export const TRACKING_COMPONENT = 'tracking';

/** Version 1: one row per run; JSON columns (jsonb on PostgreSQL); ISO-8601 UTC text times. */
function v1(db: SqlDb): Migration {
  const runs = table(db, 'tracking_runs');
  const cols = (json: string, real: string) => `(
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'failed')),
    params ${json} NOT NULL,
    data_hash TEXT,
    data_report ${json},
    metrics ${json} NOT NULL,
    per_intent ${json} NOT NULL,
    duration_ms ${real},
    code_version TEXT,
    environment ${json} NOT NULL,
    bundle TEXT,
    tags ${json} NOT NULL,
    error TEXT,
    created_at TEXT NOT NULL,
    finished_at TEXT
  )`;
  return {
    sqlite: [`CREATE TABLE ${runs} ${cols('TEXT', 'REAL')}`, `CREATE INDEX tracking_runs_name ON tracking_runs (name, id)`],
    postgres: [`CREATE TABLE ${runs} ${cols('JSONB', 'DOUBLE PRECISION')}`, `CREATE INDEX tracking_runs_name ON ${runs} (name, id)`],
  };
}

/** Append-only: a released step is never edited, a change is a new step. */
export const TRACKING_MIGRATIONS = Object.freeze([v1]);
