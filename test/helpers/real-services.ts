/**
 * The real PostgreSQL and Redis on this machine, for contract tests of the server-backed
 * adapters. When a server is down the suite FAILS with the command that starts it: a silent
 * skip would let a broken adapter pass CI.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';

export const PG_URL = process.env.INTENTOPS_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.INTENTOPS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

export const PG_START = 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start';
export const REDIS_START = 'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log';

/** A name fragment unique to this test run and file: pid, time and randomness. */
export function uniqueId(): string {
  return `${process.pid.toString(36)}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

let pgCheck: Promise<void> | undefined;
let redisCheck: Promise<void> | undefined;

/**
 * Resolves when PostgreSQL answers at PG_URL, else throws saying how to start it. Checked once
 * per file and awaited by every test, so a down server fails each test rather than skipping it.
 */
export function requirePostgres(): Promise<void> {
  return (pgCheck ??= checkPostgres());
}

/** As requirePostgres, for Redis at REDIS_URL. */
export function requireRedis(): Promise<void> {
  return (redisCheck ??= checkRedis());
}

async function checkPostgres(): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (e) {
    throw new Error(`PostgreSQL is not reachable at ${PG_URL} (${(e as Error).message}).\nThese contract tests need the real server; start it with:\n  ${PG_START}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function checkRedis(): Promise<void> {
  const client = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
  } catch (e) {
    throw new Error(`Redis is not reachable at ${REDIS_URL} (${(e as Error).message}).\nThese contract tests need the real server; start it with:\n  ${REDIS_START}`);
  } finally {
    client.disconnect();
  }
}

/** Drops every table whose name starts with `prefix` (a test run's own tables). */
export async function dropPgTables(prefix: string): Promise<void> {
  if (!(await requirePostgres().then(() => true, () => false))) return; // nothing was created
  if (!/^[a-z0-9_]+$/.test(prefix)) throw new Error(`refusing to drop tables for prefix ${prefix}`);
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = current_schema() AND starts_with(tablename, $1)`, [prefix]);
    if (rows.length) await client.query(`DROP TABLE IF EXISTS ${rows.map((r) => `"${r.t}"`).join(', ')} CASCADE`);
  } finally {
    await client.end();
  }
}

/** A raw Redis client for checks and cleanup; disconnect it when done. */
export function rawRedis(): Redis {
  return new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
}

/** Deletes every key that starts with `prefix` (a test run's own keys). */
export async function deleteRedisKeys(prefix: string): Promise<number> {
  if (!(await requireRedis().then(() => true, () => false))) return 0; // nothing was written
  const client = rawRedis();
  let n = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) n += await client.del(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
  return n;
}
