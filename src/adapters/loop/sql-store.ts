import { IntentOpsError } from '../../core/errors.js';
import type { LoopEntry, LoopIteration, LoopJournalEntry, LoopOutcome, LoopState, LoopStore } from '../../ports/loop-store.js';
import { checkModelName } from '../../ports/model-uri.js';
import { fromJson, migrate, table, toJson, type SqlDb } from '../sql/index.js';
import { LOOP_COMPONENT, LOOP_MIGRATIONS } from './schema.js';

export interface LoopStoreOptions {
  /** Clock for startedAt / updatedAt / at (tests pin it). */
  readonly now?: () => Date;
}

interface IterationRow {
  id: number;
  name: string;
  state: LoopState;
  outcome: LoopOutcome | null;
  reason: string | null;
  labels: number | null;
  version: number | null;
  baseline: number | null;
  shadow_since: string | null;
  started_at: string;
  updated_at: string;
  revision: number;
  detail: unknown;
}

const COLS = 'id, name, state, outcome, reason, labels, version, baseline, shadow_since, started_at, updated_at, revision, detail';
const num = (x: unknown) => (x === null || x === undefined ? null : Number(x));

const toIteration = (r: IterationRow): LoopIteration => ({
  id: Number(r.id),
  name: r.name,
  state: r.state,
  outcome: r.outcome,
  reason: r.reason,
  labels: num(r.labels),
  version: num(r.version),
  baseline: num(r.baseline),
  shadowSince: r.shadow_since,
  startedAt: r.started_at,
  updatedAt: r.updated_at,
  revision: Number(r.revision),
  detail: fromJson<Record<string, unknown>>(r.detail),
});

const busy = (name: string, what: string) =>
  new IntentOpsError('unavailable', `another \`intentops loop run\` is advancing the loop of ${name}: ${what}`, { where: `loop of ${name}`, hint: 'let it finish (run the loop from one scheduler only: the CronJob has concurrencyPolicy Forbid), then run again' });

/** The LoopStore over SQL; SQLite and PostgreSQL differ only in their SqlDb connector. */
export class SqlLoopStore implements LoopStore {
  private readonly t: (name: string) => string;

  private constructor(
    private readonly db: SqlDb,
    private readonly opts: LoopStoreOptions,
  ) {
    this.t = (name) => table(db, name);
  }

  static async open(db: SqlDb, opts: LoopStoreOptions = {}): Promise<SqlLoopStore> {
    await migrate(db, LOOP_COMPONENT, LOOP_MIGRATIONS);
    return new SqlLoopStore(db, opts);
  }

  private now(): string {
    return (this.opts.now ?? (() => new Date()))().toISOString();
  }

  async iterations(name: string, opts: { limit?: number } = {}): Promise<LoopIteration[]> {
    checkModelName(name);
    const limit = opts.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1) throw new IntentOpsError('invalid_input', `limit must be a positive integer, got ${limit}`, { where: 'limit' });
    const rows = await this.db.all<IterationRow>(`SELECT ${COLS} FROM ${this.t('loop_iterations')} WHERE name = ? ORDER BY id DESC LIMIT ?`, [name, limit]);
    return rows.map(toIteration);
  }

  async begin(name: string): Promise<LoopIteration> {
    checkModelName(name);
    const at = this.now();
    return this.db.transaction(async (tx) => {
      if (this.db.dialect === 'postgres') await tx.all(`SELECT pg_advisory_xact_lock(hashtext(?))`, [`intentops-loop:${this.db.schema ?? ''}:${name}`]);
      const [open] = await tx.all<{ id: number }>(`SELECT id FROM ${this.t('loop_iterations')} WHERE name = ? AND state <> 'done'`, [name]);
      if (open) throw busy(name, `iteration ${open.id} is still open`);
      const [row] = await tx.all<IterationRow>(
        `INSERT INTO ${this.t('loop_iterations')} (name, state, started_at, updated_at, revision, detail) VALUES (?, 'collect', ?, ?, 1, ?) RETURNING ${COLS}`,
        [name, at, at, toJson({})],
      );
      return toIteration(row);
    });
  }

  async save(it: LoopIteration): Promise<LoopIteration> {
    const at = this.now();
    const rows = await this.db.all<IterationRow>(
      `UPDATE ${this.t('loop_iterations')} SET state = ?, outcome = ?, reason = ?, labels = ?, version = ?, baseline = ?, shadow_since = ?, updated_at = ?, revision = revision + 1, detail = ?
       WHERE id = ? AND revision = ? RETURNING ${COLS}`,
      [it.state, it.outcome, it.reason, it.labels, it.version, it.baseline, it.shadowSince, at, toJson(it.detail), it.id, it.revision],
    );
    if (!rows[0]) throw busy(it.name, `iteration ${it.id} was saved by another run since revision ${it.revision}`);
    return toIteration(rows[0]);
  }

  async record(e: LoopEntry): Promise<void> {
    await this.db.run(`INSERT INTO ${this.t('loop_journal')} (iteration, step, phase, outcome, detail, at) VALUES (?, ?, ?, ?, ?, ?)`, [e.iteration, e.step, e.phase, e.outcome ?? null, e.detail ?? null, this.now()]);
  }

  async journal(iteration: number): Promise<LoopJournalEntry[]> {
    const rows = await this.db.all<LoopJournalEntry>(`SELECT id, iteration, step, phase, outcome, detail, at FROM ${this.t('loop_journal')} WHERE iteration = ? ORDER BY id`, [iteration]);
    return rows.map((r) => ({ ...r, id: Number(r.id), iteration: Number(r.iteration) }));
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
