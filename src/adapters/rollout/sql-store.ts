import { IntentOpsError } from '../../core/errors.js';
import { checkRolloutSetting, type RolloutMode } from '../../core/rollout/state.js';
import type { RolloutAudit, RolloutChange, RolloutState, RolloutStore } from '../../ports/rollout-store.js';
import { checkModelName } from '../../ports/model-uri.js';
import { migrate, table, type SqlDb } from '../sql/index.js';
import { ROLLOUT_COMPONENT, ROLLOUT_MIGRATIONS } from './schema.js';

export interface RolloutStoreOptions {
  /** Clock for updatedAt / at (tests pin it). */
  readonly now?: () => Date;
}

interface StateRow {
  name: string;
  mode: RolloutMode;
  share: number;
  updated_at: string;
  updated_by: string;
  note: string | null;
}

interface LogRow {
  id: number;
  name: string;
  from_mode: RolloutMode | null;
  from_share: number | null;
  to_mode: RolloutMode;
  to_share: number;
  who: string;
  why: string | null;
  at: string;
}

const toState = (r: StateRow): RolloutState => ({ name: r.name, mode: r.mode, share: Number(r.share), updatedAt: r.updated_at, updatedBy: r.updated_by, note: r.note });

const toAudit = (r: LogRow): RolloutAudit => ({
  id: Number(r.id),
  name: r.name,
  from: r.from_mode === null ? null : { mode: r.from_mode, share: Number(r.from_share) },
  to: { mode: r.to_mode, share: Number(r.to_share) },
  who: r.who,
  why: r.why,
  at: r.at,
});

const LOG_COLS = 'id, name, from_mode, from_share, to_mode, to_share, who, why, at';

/** The RolloutStore over SQL; SQLite and PostgreSQL differ only in their SqlDb connector. */
export class SqlRolloutStore implements RolloutStore {
  private readonly t: (name: string) => string;

  private constructor(
    private readonly db: SqlDb,
    private readonly opts: RolloutStoreOptions,
  ) {
    this.t = (name) => table(db, name);
  }

  static async open(db: SqlDb, opts: RolloutStoreOptions = {}): Promise<SqlRolloutStore> {
    await migrate(db, ROLLOUT_COMPONENT, ROLLOUT_MIGRATIONS);
    return new SqlRolloutStore(db, opts);
  }

  async get(name: string): Promise<RolloutState | undefined> {
    checkModelName(name);
    const rows = await this.db.all<StateRow>(`SELECT name, mode, share, updated_at, updated_by, note FROM ${this.t('rollout_state')} WHERE name = ?`, [name]);
    return rows[0] && toState(rows[0]);
  }

  async set(change: RolloutChange): Promise<RolloutAudit> {
    const name = checkModelName(change.name);
    const { mode, share } = checkRolloutSetting(change.mode, change.share);
    if (typeof change.who !== 'string' || !change.who.trim()) {
      throw new IntentOpsError('invalid_input', 'a rollout change needs "who" (the person or system making it)', { where: 'who', hint: 'pass the user name or the API key name' });
    }
    const why = change.why ?? null;
    const at = (this.opts.now ?? (() => new Date()))().toISOString();
    return this.db.transaction(async (tx) => {
      // serialise changes of one model, also before its first row exists (SQLite: BEGIN IMMEDIATE already does)
      if (this.db.dialect === 'postgres') await tx.all(`SELECT pg_advisory_xact_lock(hashtext(?))`, [`intentops-rollout:${this.db.schema ?? ''}:${name}`]);
      const [prev] = await tx.all<StateRow>(`SELECT name, mode, share, updated_at, updated_by, note FROM ${this.t('rollout_state')} WHERE name = ?`, [name]);
      await tx.run(
        `INSERT INTO ${this.t('rollout_state')} (name, mode, share, updated_at, updated_by, note) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET mode = excluded.mode, share = excluded.share, updated_at = excluded.updated_at, updated_by = excluded.updated_by, note = excluded.note`,
        [name, mode, share, at, change.who, why],
      );
      const [row] = await tx.all<LogRow>(
        `INSERT INTO ${this.t('rollout_log')} (name, from_mode, from_share, to_mode, to_share, who, why, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${LOG_COLS}`,
        [name, prev ? prev.mode : null, prev ? Number(prev.share) : null, mode, share, change.who, why, at],
      );
      return toAudit(row);
    });
  }

  async history(name: string, opts: { limit?: number } = {}): Promise<RolloutAudit[]> {
    checkModelName(name);
    const limit = opts.limit ?? 1000;
    if (!Number.isInteger(limit) || limit < 1) throw new IntentOpsError('invalid_input', `limit must be a positive integer, got ${limit}`, { where: 'limit' });
    const rows = await this.db.all<LogRow>(`SELECT ${LOG_COLS} FROM ${this.t('rollout_log')} WHERE name = ? ORDER BY id DESC LIMIT ?`, [name, limit]);
    return rows.map(toAudit);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
