import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The real local PostgreSQL the store tests run against (trust auth). */
export const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
export const PG_START = 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start';

/** Throws (failing the test, never skipping it) when PostgreSQL is not reachable. */
export async function requirePostgres(): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (e) {
    throw new Error(`PostgreSQL is not reachable at ${PG_URL} (${(e as Error).message}). These tests need the real server: start it with\n  ${PG_START}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A store URI in a fresh schema of its own, and a cleanup that drops the schema. */
export async function freshPostgres(label: string): Promise<{ uri: string; schema: string; cleanup: () => Promise<void> }> {
  await requirePostgres();
  const schema = `t_${label}_${process.pid}_${randomBytes(4).toString('hex')}`.toLowerCase();
  return {
    uri: `${PG_URL}?schema=${schema}`,
    schema,
    cleanup: async () => {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}
