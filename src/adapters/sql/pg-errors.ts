/*
 * Which PostgreSQL failures mean "the database is away for now" (retry, spool, degrade) rather
 * than "this statement is wrong" (a bug or bad data). A store that classifies a refused connection
 * as 'internal' turns a short outage into 500s and thrown-away batches; one that classifies a bad
 * statement as 'unavailable' retries it forever. SQLSTATE classes per the PostgreSQL manual,
 * appendix A.
 */

/** Socket-level codes from node:net / dns. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'EPIPE', 'ECONNABORTED']);

/** Single SQLSTATEs outside the whole classes below that pass with time. */
const TRANSIENT_STATES = new Set([
  '55000', // object_not_in_prerequisite_state (e.g. a standby not yet accepting, a database being set up)
  '55006', // object_in_use
  '55P03', // lock_not_available
  '25006', // read_only_sql_transaction: a failover left us on a standby for a moment
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '58000', // system_error
  '58030', // io_error
]);

/** Whole SQLSTATE classes that mean the server or the connection is unavailable. */
const TRANSIENT_CLASSES = [
  '08', // connection_exception (08000, 08003, 08006, 08001, 08004, 08007, 08P01)
  '53', // insufficient_resources (53000, 53100 disk full, 53200 out of memory, 53300 too many connections, 53400)
  '57P', // operator intervention: 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now, 57P04, 57P05
];

/** pg's own messages for a connection that broke or never came (no code attached). */
const CONNECTION_MESSAGE = /timeout|terminated|Connection ended|not queryable|connection error|ECONNRESET|ECONNREFUSED|Client was closed|socket hang up/i;

/**
 * True when `e` (a pg or socket error) means PostgreSQL is unreachable or temporarily refusing
 * work, so the caller should degrade (spool, retry with back-off, answer without it) and not
 * report a bug.
 *
 * @example
 * try { await pool.query(sql) } catch (e) { if (isPgUnavailable(e)) spool.push(item); else throw e; }
 */
export function isPgUnavailable(e: unknown): boolean {
  const err = e as { code?: unknown; message?: unknown } | undefined;
  const code = typeof err?.code === 'string' ? err.code : '';
  if (code) {
    if (SOCKET_CODES.has(code) || TRANSIENT_STATES.has(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code)) return TRANSIENT_CLASSES.some((c) => code.startsWith(c));
  }
  return CONNECTION_MESSAGE.test(typeof err?.message === 'string' ? err.message : String(e));
}
