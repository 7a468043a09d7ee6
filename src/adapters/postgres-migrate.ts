import type { Pool } from 'pg';
import { IntentOpsError } from '../core/errors.js';

/** One store's tables in PostgreSQL: its own migrations table, append-only DDL versions. */
export interface PgSchema {
  /** e.g. `review`, `events`: the migrations table is `<q><name>_migrations`, and errors name it. */
  readonly name: string;
  /** `[schema.]prefix` put before every table name. */
  readonly q: string;
  /** The schema to create first, if the URI named one. */
  readonly schema?: string;
  /** Entry i brings the tables to version i + 1. Append only; never edit a shipped entry. */
  readonly steps: readonly string[];
  /** Named in the error when the tables are newer than this IntentOps. */
  readonly where?: string;
}

/**
 * Creates or migrates a store's tables in one transaction under an advisory lock: replicas (and
 * parallel test files) opening at once serialise, one migrates and the others see it done.
 */
export async function migratePg(pool: Pool, s: PgSchema): Promise<void> {
  const table = `${s.q}${s.name}_migrations`;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`intentops-${s.name}-migrate:${s.q}`]);
    if (s.schema) await client.query(`CREATE SCHEMA IF NOT EXISTS "${s.schema}"`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${table} (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ v: number }>(`SELECT COALESCE(MAX(version), 0) AS v FROM ${table}`);
    const current = rows[0].v;
    if (current > s.steps.length) {
      throw new IntentOpsError('invalid_config', `the ${s.name} tables (${s.q}*) have schema version ${current}; this IntentOps knows versions up to ${s.steps.length}`, {
        ...(s.where ? { where: s.where } : {}),
        hint: 'upgrade IntentOps, or use another database or table prefix',
      });
    }
    for (let v = current + 1; v <= s.steps.length; v++) {
      await client.query(s.steps[v - 1]);
      await client.query(`INSERT INTO ${table} (version) VALUES ($1)`, [v]);
    }
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}
