import type { MigrationStep, SqlDb } from '../sql/index.js';
import { prefixed } from '../sql/index.js';

/*
 * The events tables: the prediction log and feedback, one schema with one version ledger
 * (`events_migrations`, on PostgreSQL `<prefix>events_migrations`), as the releases before wrote
 * them. SQLite: in the file the review queue, tracking and registry use; TEXT times in the one
 * ISO form (text order is time order), 0/1 flags, JSON as text. PostgreSQL: timestamptz,
 * boolean, jsonb, ids compared byte-wise (COLLATE "C").
 */

/** The ledger table (unprefixed name); `prefixed` adds the PostgreSQL prefix. */
export const EVENTS_LEDGER = 'events_migrations';

const predictionLogV1 = (t: string, sqlite: boolean) => `CREATE TABLE ${t} (
     id            ${sqlite ? 'TEXT' : 'text COLLATE "C"'} NOT NULL,
     variant       TEXT NOT NULL CHECK (variant IN ('champion', 'challenger', 'shadow')),
     at            ${sqlite ? 'TEXT' : 'timestamptz'} NOT NULL,
     model_name    TEXT NOT NULL,
     model_version TEXT NOT NULL,
     intent        TEXT NOT NULL,
     confidence    ${sqlite ? 'REAL' : 'double precision'} NOT NULL,
     route         TEXT NOT NULL,
     reason        TEXT NOT NULL,
     cached        ${sqlite ? 'INTEGER' : 'boolean'} NOT NULL,
     latency_ms    ${sqlite ? 'REAL' : 'double precision'} NOT NULL,
     llm           ${sqlite ? 'TEXT' : 'jsonb'},
     text          TEXT,
     features      ${sqlite ? 'TEXT' : 'jsonb'},
     subject       TEXT,
     PRIMARY KEY (id, variant)
   )${sqlite ? ' STRICT' : ''}`;

const feedbackV1 = (t: string, sqlite: boolean) => `CREATE TABLE ${t} (
     id             ${sqlite ? 'TEXT' : 'text COLLATE "C"'} PRIMARY KEY,
     prediction_id  ${sqlite ? 'TEXT' : 'text COLLATE "C"'} NOT NULL,
     correct_intent TEXT,
     rating         ${sqlite ? 'INTEGER' : 'smallint'} CHECK (rating IN (-1, 0, 1)),
     comment        TEXT,
     source         TEXT NOT NULL,
     at             ${sqlite ? 'TEXT' : 'timestamptz'} NOT NULL
   )${sqlite ? ' STRICT' : ''}`;

/** Version 1: the prediction log (variants champion, challenger, shadow) and feedback. */
function v1(prefix: string | undefined): MigrationStep {
  return (db: SqlDb) => {
    const { t, p } = prefixed(db, prefix, 'events');
    const both = (sqlite: boolean) => [
      predictionLogV1(t('prediction_log'), sqlite),
      `CREATE INDEX ${p}prediction_log_at ON ${t('prediction_log')} (at)`,
      feedbackV1(t('feedback'), sqlite),
      `CREATE INDEX ${p}feedback_at ON ${t('feedback')} (at)`,
      `CREATE INDEX ${p}feedback_prediction_id ON ${t('feedback')} (prediction_id)`,
    ];
    return { sqlite: both(true), postgres: both(false) };
  };
}

/**
 * Version 2: the LLM variant that answered (its own column), and variant 'llm-shadow' (an LLM
 * challenger's shadow answer). SQLite cannot change a CHECK: the table is rebuilt with its rows.
 */
function v2(prefix: string | undefined): MigrationStep {
  return (db: SqlDb) => {
    const { t, p } = prefixed(db, prefix, 'events');
    const log = t('prediction_log');
    const cols = 'id, variant, at, model_name, model_version, intent, confidence, route, reason, cached, latency_ms, llm, text, features, subject';
    return {
      sqlite: [
        predictionLogV1('prediction_log_v2', true)
          .replace("'shadow')", "'shadow', 'llm-shadow')")
          .replace('subject       TEXT,', 'subject       TEXT,\n     llm_variant   TEXT,'),
        `INSERT INTO prediction_log_v2 (${cols}) SELECT ${cols} FROM ${log}`,
        `DROP TABLE ${log}`,
        `ALTER TABLE prediction_log_v2 RENAME TO prediction_log`,
        `CREATE INDEX prediction_log_at ON prediction_log (at)`,
      ],
      postgres: [
        `ALTER TABLE ${log} ADD COLUMN llm_variant text`,
        `DO $$ DECLARE c text; BEGIN
           FOR c IN SELECT conname FROM pg_constraint WHERE conrelid = '${log}'::regclass AND contype = 'c' AND pg_get_constraintdef(oid) LIKE '%variant%' LOOP
             EXECUTE format('ALTER TABLE ${log} DROP CONSTRAINT %I', c);
           END LOOP;
         END $$`,
        `ALTER TABLE ${log} ADD CONSTRAINT ${p}prediction_log_variant CHECK (variant IN ('champion', 'challenger', 'shadow', 'llm-shadow'))`,
      ],
    };
  };
}

/** Append-only: a released step is never edited, a change is a new step. */
export function eventsMigrations(prefix: string | undefined): readonly MigrationStep[] {
  return [v1(prefix), v2(prefix)];
}
