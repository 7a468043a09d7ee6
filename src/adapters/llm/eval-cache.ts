import { join } from 'node:path';
import type { LlmOutcome } from '../../core/eval/llm-metrics.js';
import type BetterSqlite3 from 'better-sqlite3';
import { migrate, openSqlite, sqliteHandle, type SqlDb } from '../sql/index.js';

/**
 * The response cache of `intentops llm eval`: a SQLite file in a cache directory, keyed by a hash
 * of what a variant sends (endpoint, model, parameters and the rendered prompt, which holds the
 * message text), so a rerun does not pay twice and any change that could change the answer
 * misses. Answers and unusable answers are kept (both were paid for); failed calls are not.
 * Bounded: past `maxEntries` the oldest entries go.
 */

export type { CachedOutcome, LlmResponseCache } from '../../ports/llm-variant.js';
import type { CachedOutcome, LlmResponseCache } from '../../ports/llm-variant.js';


/** The cache's steps (SQLite only: the cache is a local file), recorded in `llm_eval_cache_migrations` as the releases before did. */
const MIGRATIONS = [
  () => ({
    sqlite: [
      `CREATE TABLE llm_eval_cache (
         key TEXT PRIMARY KEY,
         variant TEXT NOT NULL,
         outcome TEXT NOT NULL,
         seq INTEGER NOT NULL
       ) STRICT`,
      `CREATE INDEX llm_eval_cache_seq ON llm_eval_cache (seq)`,
    ],
    postgres: [],
  }),
];

export const DEFAULT_CACHE_ENTRIES = 100_000;

/** Opens (creating) `<dir>/llm-eval-cache.sqlite`; `dir` may be `:memory:` for tests. */
export async function openLlmResponseCache(dir: string, maxEntries = DEFAULT_CACHE_ENTRIES): Promise<LlmResponseCache> {
  const path = dir === ':memory:' ? dir : join(dir, 'llm-eval-cache.sqlite');
  const db = await openSqlite(path, { synchronous: 'NORMAL', checkpointInBackground: true, busyTimeoutMs: 5000, configKey: '--cache-dir' });
  try {
    await migrate(db, { versions: 'llm_eval_cache_migrations' }, MIGRATIONS, { what: 'LLM eval response cache', configKey: '--cache-dir' });
    return new SqliteResponseCache(db, maxEntries);
  } catch (e) {
    await db.close().catch(() => undefined);
    throw e;
  }
}

class SqliteResponseCache implements LlmResponseCache {
  private readonly getStmt;
  private readonly setStmt;
  private readonly countStmt;
  private readonly trimStmt;
  private seq: number;
  private count: number;

  private readonly db: BetterSqlite3.Database;

  /** The port is synchronous (get/set inside a scoring loop): statements run on the file's own connection directly. */
  constructor(
    private readonly sqlDb: SqlDb,
    private readonly maxEntries: number,
  ) {
    const db = (this.db = sqliteHandle(sqlDb));
    this.getStmt = db.prepare('SELECT outcome FROM llm_eval_cache WHERE key = ?');
    this.setStmt = db.prepare('INSERT INTO llm_eval_cache (key, variant, outcome, seq) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET outcome = excluded.outcome, seq = excluded.seq');
    this.countStmt = db.prepare('SELECT COUNT(*) AS n, COALESCE(MAX(seq), 0) AS s FROM llm_eval_cache');
    this.trimStmt = db.prepare('DELETE FROM llm_eval_cache WHERE seq <= (SELECT seq FROM llm_eval_cache ORDER BY seq DESC LIMIT 1 OFFSET ?)');
    const { n, s } = this.countStmt.get() as { n: number; s: number };
    this.count = n;
    this.seq = s;
  }

  get size(): number {
    return this.count;
  }

  get(key: string): CachedOutcome | undefined {
    const row = this.getStmt.get(key) as { outcome: string } | undefined;
    return row ? (JSON.parse(row.outcome) as CachedOutcome) : undefined;
  }

  set(key: string, variantHash: string, outcome: CachedOutcome): void {
    this.setStmt.run(key, variantHash, JSON.stringify(outcome), ++this.seq);
    this.count++;
    // trim in steps of a tenth, not on every insert
    if (this.count > this.maxEntries + Math.max(1, Math.floor(this.maxEntries / 10))) this.trim();
  }

  private trim(): void {
    this.trimStmt.run(this.maxEntries);
    this.count = (this.countStmt.get() as { n: number }).n;
  }

  async close(): Promise<void> {
    if (this.count > this.maxEntries) this.trim();
    await this.sqlDb.close();
  }
}
