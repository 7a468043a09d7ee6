import type { MigrationStep, SqlDb } from '../sql/index.js';
import { prefixed } from '../sql/index.js';

/*
 * The review queue's table, `review_items` (on PostgreSQL `<prefix>review_items`), and its
 * version ledger `review_migrations` (`<prefix>review_migrations`), as the releases before wrote
 * them. SQLite: TEXT times in the one ISO form, JSON as text; PostgreSQL: timestamptz, jsonb,
 * ids compared byte-wise (COLLATE "C") so ULID order is creation order whatever the collation.
 */

export const REVIEW_LEDGER = 'review_migrations';

/** Version 1: the queue. */
function v1(prefix: string | undefined): MigrationStep {
  return (db: SqlDb) => {
    const { t, p } = prefixed(db, prefix, 'review store');
    const ddl = (sqlite: boolean) => [
      `CREATE TABLE ${t('review_items')} (
         id            ${sqlite ? 'TEXT' : 'text COLLATE "C"'} PRIMARY KEY,
         text          TEXT NOT NULL,
         guess         TEXT NOT NULL,
         confidence    ${sqlite ? 'REAL' : 'double precision'} NOT NULL,
         alternatives  ${sqlite ? 'TEXT' : 'jsonb'} NOT NULL,
         reason        TEXT NOT NULL,
         model_name    TEXT NOT NULL,
         model_version TEXT NOT NULL,
         request_id    TEXT,
         state         TEXT NOT NULL CHECK (state IN ('open', 'claimed', 'labelled', 'skipped')),
         created_at    ${sqlite ? 'TEXT' : 'timestamptz'} NOT NULL,
         updated_at    ${sqlite ? 'TEXT' : 'timestamptz'} NOT NULL,
         claimed_by    TEXT,
         label         TEXT,
         labelled_by   TEXT
       )${sqlite ? ' STRICT' : ''}`,
      `CREATE INDEX ${p}review_items_state_id ON ${t('review_items')} (state, id)`,
    ];
    return { sqlite: ddl(true), postgres: ddl(false) };
  };
}

/** Version 2: one pending item per normalised text and model version; items from before keep a key of their own. */
function v2(prefix: string | undefined): MigrationStep {
  return (db: SqlDb) => {
    const { t, p } = prefixed(db, prefix, 'review store');
    const items = t('review_items');
    const after = [
      `UPDATE ${items} SET text_key = 'legacy:' || id, last_seen_at = created_at`,
      `CREATE UNIQUE INDEX ${p}review_items_pending_key ON ${items} (text_key, model_name, model_version) WHERE state IN ('open', 'claimed')`,
    ];
    return {
      sqlite: [`ALTER TABLE ${items} ADD COLUMN text_key TEXT`, `ALTER TABLE ${items} ADD COLUMN seen_count INTEGER NOT NULL DEFAULT 1`, `ALTER TABLE ${items} ADD COLUMN last_seen_at TEXT`, ...after],
      postgres: [`ALTER TABLE ${items} ADD COLUMN text_key text, ADD COLUMN seen_count integer NOT NULL DEFAULT 1, ADD COLUMN last_seen_at timestamptz`, ...after],
    };
  };
}

/** Version 3: the queue's order (core/review/priority.ts): terms kept per item, filled in for waiting rows on open. */
function v3(prefix: string | undefined): MigrationStep {
  return (db: SqlDb) => {
    const { t, p } = prefixed(db, prefix, 'review store');
    const items = t('review_items');
    return {
      sqlite: [`ALTER TABLE ${items} ADD COLUMN recent_log REAL`, `ALTER TABLE ${items} ADD COLUMN rank REAL`, `CREATE INDEX ${p}review_items_state_rank ON ${items} (state, rank DESC, id)`],
      postgres: [`ALTER TABLE ${items} ADD COLUMN recent_log double precision, ADD COLUMN rank double precision`, `CREATE INDEX ${p}review_items_state_rank ON ${items} (state, rank DESC NULLS LAST, id)`],
    };
  };
}

/** Append-only: a released step is never edited, a change is a new step. */
export function reviewMigrations(prefix: string | undefined): readonly MigrationStep[] {
  return [v1(prefix), v2(prefix), v3(prefix)];
}
