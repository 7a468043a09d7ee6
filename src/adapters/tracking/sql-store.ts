import { IntentOpsError } from '../../core/errors.js';
import type { NewRun, Run, RunFilter, RunPatch, TrackingStore } from '../../ports/tracking-store.js';
import { lowerUlidFactory } from '../sql/index.js';
import { goneReason, systemLiveness, type Liveness } from './liveness.js';
import { applyPatch, buildRun, RUN_STATUSES } from './runs.js';
import { TRACKING_COMPONENT, TRACKING_MIGRATIONS } from './schema.js';
import { fromJson, migrate, table, toJson, type SqlDb, type SqlValue } from '../sql/index.js';

export interface TrackingStoreOptions {
  /** Clock for createdAt / finishedAt and run ids (tests pin it). */
  readonly now?: () => Date;
  /** Run id generator; a ULID from `now` by default (the one id scheme of the SQL stores), in lower case: see lowerUlidFactory. */
  readonly newId?: () => string;
  /** How a reader tells a running run's process is gone (see liveness.ts); false = never. Default: this host's process table. */
  readonly liveness?: Liveness | false;
}

const COLUMNS = 'id, name, status, params, data_hash, data_report, metrics, per_intent, duration_ms, code_version, environment, bundle, tags, error, created_at, finished_at';
const MAX_LIMIT = 1000;

interface RunRow {
  id: string;
  name: string;
  status: Run['status'];
  params: unknown;
  data_hash: string | null;
  data_report: unknown;
  metrics: unknown;
  per_intent: unknown;
  duration_ms: number | null;
  code_version: string | null;
  environment: unknown;
  bundle: string | null;
  tags: unknown;
  error: string | null;
  created_at: string;
  finished_at: string | null;
}

function toRow(r: Run): SqlValue[] {
  return [r.id, r.name, r.status, toJson(r.params), r.data.hash, r.data.report === null ? null : toJson(r.data.report), toJson(r.metrics), toJson(r.perIntent), r.durationMs, r.codeVersion, toJson(r.environment), r.bundle, toJson(r.tags), r.error, r.createdAt, r.finishedAt];
}

function fromRow(r: RunRow): Run {
  return {
    id: r.id,
    name: r.name,
    status: r.status,
    params: fromJson(r.params),
    data: { hash: r.data_hash, report: r.data_report === null ? null : fromJson(r.data_report) },
    metrics: fromJson(r.metrics),
    perIntent: fromJson(r.per_intent),
    durationMs: r.duration_ms === null ? null : Number(r.duration_ms),
    codeVersion: r.code_version,
    environment: fromJson(r.environment),
    bundle: r.bundle,
    tags: fromJson(r.tags),
    error: r.error,
    createdAt: r.created_at,
    finishedAt: r.finished_at,
  };
}

/** The TrackingStore over SQL; SQLite and PostgreSQL differ only in their SqlDb connector. */
export class SqlTrackingStore implements TrackingStore {
  private readonly runs: string;

  private constructor(
    private readonly db: SqlDb,
    private readonly now: () => Date,
    private readonly newId: () => string,
    private readonly liveness: Liveness | false,
  ) {
    this.runs = table(db, 'tracking_runs');
  }

  /** Marks runs whose process is gone failed (persisted, so every reader agrees), as read. */
  private async reap(runs: Run[]): Promise<Run[]> {
    if (!this.liveness) return runs;
    const now = this.now().getTime();
    return Promise.all(
      runs.map(async (r) => {
        const why = this.liveness ? goneReason(r, this.liveness, now) : null;
        if (!why) return r;
        try {
          return await this.updateRun(r.id, { status: 'failed', error: why, durationMs: r.durationMs ?? 0 });
        } catch {
          return (await this.getRawRun(r.id)) ?? r; // another reader marked it first
        }
      }),
    );
  }

  private async getRawRun(id: string): Promise<Run | undefined> {
    const row = (await this.db.all<RunRow>(`SELECT ${COLUMNS} FROM ${this.runs} WHERE id = ?`, [id]))[0];
    return row && fromRow(row);
  }

  static async open(db: SqlDb, opts: TrackingStoreOptions = {}): Promise<SqlTrackingStore> {
    await migrate(db, TRACKING_COMPONENT, TRACKING_MIGRATIONS);
    const now = opts.now ?? (() => new Date());
    return new SqlTrackingStore(db, now, opts.newId ?? lowerUlidFactory(() => now().getTime()), opts.liveness ?? systemLiveness);
  }

  async createRun(input: NewRun): Promise<Run> {
    const run = buildRun(input, this.newId(), this.now().toISOString());
    await this.db.run(`INSERT INTO ${this.runs} (${COLUMNS}) VALUES (${COLUMNS.split(',').map(() => '?').join(', ')})`, toRow(run));
    return run;
  }

  async updateRun(id: string, patch: RunPatch): Promise<Run> {
    const lock = this.db.dialect === 'postgres' ? ' FOR UPDATE' : '';
    return this.db.transaction(async (tx) => {
      const row = (await tx.all<RunRow>(`SELECT ${COLUMNS} FROM ${this.runs} WHERE id = ?${lock}`, [id]))[0];
      if (!row) throw notFound(id);
      const next = applyPatch(fromRow(row), patch, this.now().toISOString());
      const [, ...values] = toRow(next);
      const sets = COLUMNS.split(', ').slice(1).map((c) => `${c} = ?`).join(', ');
      await tx.run(`UPDATE ${this.runs} SET ${sets} WHERE id = ?`, [...values, id]);
      return next;
    });
  }

  async getRun(id: string): Promise<Run | undefined> {
    const run = await this.getRawRun(id);
    return run && (await this.reap([run]))[0];
  }

  async listRuns(filter: RunFilter = {}): Promise<Run[]> {
    const where: string[] = [];
    const params: SqlValue[] = [];
    if (filter.status !== undefined) {
      if (!RUN_STATUSES.includes(filter.status)) throw new IntentOpsError('invalid_input', `unknown run status ${JSON.stringify(filter.status)}`, { where: 'status', hint: `use one of ${RUN_STATUSES.join(', ')}` });
      where.push('status = ?');
      params.push(filter.status);
    }
    if (filter.name !== undefined) (where.push('name = ?'), params.push(filter.name));
    if (filter.before !== undefined) (where.push('id < ?'), params.push(filter.before));
    const limit = filter.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new IntentOpsError('invalid_input', `limit must be an integer from 1 to ${MAX_LIMIT}, got ${limit}`, { where: 'limit' });
    const sql = `SELECT ${COLUMNS} FROM ${this.runs}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    const runs = await this.reap((await this.db.all<RunRow>(sql, [...params, limit])).map(fromRow));
    // a status filter applies to the status as it is now
    return filter.status === undefined ? runs : runs.filter((r) => r.status === filter.status);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

function notFound(id: string): IntentOpsError {
  return new IntentOpsError('not_found', `no run with id ${JSON.stringify(id)}`, { where: `run ${id}`, hint: 'list runs with `intentops runs list`' });
}
