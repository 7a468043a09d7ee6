import { IntentOpsError } from '../../core/errors.js';
import type { AliasChange, AliasMove, ModelDetail, ModelVersion, NewModelVersion, RegisteredModel, RegistryStore, VersionRef } from '../../ports/registry-store.js';
import { checkMetrics } from '../tracking/runs.js';
import { fromJson, migrate, table, toJson, type SqlDb, type SqlExecutor, type SqlValue } from '../sql/index.js';
import { checkAlias, checkModelName, checkRef, checkVersion } from '../../ports/model-uri.js';
import { REGISTRY_COMPONENT, REGISTRY_MIGRATIONS } from './schema.js';

export type RegistryWrite = 'add-version' | 'move-alias';

export interface RegistryStoreOptions {
  /** Clock for createdAt / at (tests pin it). */
  readonly now?: () => Date;
  /** Called inside each write transaction just before COMMIT: lets a crash test kill the writer there. */
  readonly beforeCommit?: (write: RegistryWrite) => void | Promise<void>;
}

const VERSION_COLS = 'name, version, artifact, run_id, description, source, metrics, created_at, created_by';
const HASH = /^[0-9a-f]{64}$/;

interface VersionRow {
  name: string;
  version: number;
  artifact: string;
  run_id: string | null;
  description: string | null;
  source: string | null;
  metrics: unknown;
  created_at: string;
  created_by: string | null;
}

interface LogRow {
  id: number;
  name: string;
  alias: string;
  from_version: number | null;
  to_version: number | null;
  who: string;
  why: string | null;
  at: string;
}

const toVersion = (r: VersionRow): ModelVersion => ({
  name: r.name,
  version: Number(r.version),
  artifact: r.artifact,
  runId: r.run_id,
  description: r.description,
  source: r.source,
  metrics: fromJson(r.metrics),
  createdAt: r.created_at,
  createdBy: r.created_by,
});

const toMove = (r: LogRow): AliasMove => ({
  id: Number(r.id),
  name: r.name,
  alias: r.alias,
  from: r.from_version === null ? null : Number(r.from_version),
  to: r.to_version === null ? null : Number(r.to_version),
  who: r.who,
  why: r.why,
  at: r.at,
});

const notFound = (what: string, hint = 'list models with `intentops models list`') => new IntentOpsError('not_found', what, { where: 'model registry', hint });

/** The RegistryStore over SQL; SQLite and PostgreSQL differ only in their SqlDb connector. */
export class SqlRegistryStore implements RegistryStore {
  private readonly t: (name: string) => string;
  private readonly lock: string;

  private constructor(
    private readonly db: SqlDb,
    private readonly opts: RegistryStoreOptions,
  ) {
    this.t = (name) => table(db, name);
    // SQLite's BEGIN IMMEDIATE already serialises writers; PostgreSQL locks the model's row
    this.lock = db.dialect === 'postgres' ? ' FOR UPDATE' : '';
  }

  static async open(db: SqlDb, opts: RegistryStoreOptions = {}): Promise<SqlRegistryStore> {
    await migrate(db, REGISTRY_COMPONENT, REGISTRY_MIGRATIONS);
    return new SqlRegistryStore(db, opts);
  }

  private now(): string {
    return (this.opts.now ?? (() => new Date()))().toISOString();
  }

  async addVersion(v: NewModelVersion): Promise<ModelVersion> {
    const name = checkModelName(v.name);
    if (typeof v.artifact !== 'string' || !HASH.test(v.artifact)) {
      throw new IntentOpsError('invalid_input', `artifact must be a sha256 tree hash (64 hex digits), got ${JSON.stringify(v.artifact)}`, { where: 'artifact' });
    }
    const metrics = checkMetrics(v.metrics ?? {});
    const now = this.now();
    return this.db.transaction(async (tx) => {
      await tx.run(`INSERT INTO ${this.t('registry_models')} (name, created_at, last_version) VALUES (?, ?, 0) ON CONFLICT (name) DO NOTHING`, [name, now]);
      const [{ last_version }] = await tx.all<{ last_version: number }>(`UPDATE ${this.t('registry_models')} SET last_version = last_version + 1 WHERE name = ? RETURNING last_version`, [name]);
      const version: ModelVersion = {
        name,
        version: Number(last_version),
        artifact: v.artifact,
        runId: v.runId ?? null,
        description: v.description ?? null,
        source: v.source ?? null,
        metrics,
        createdAt: now,
        createdBy: v.createdBy ?? null,
      };
      const values: SqlValue[] = [name, version.version, version.artifact, version.runId, version.description, version.source, toJson(metrics), now, version.createdBy];
      await tx.run(`INSERT INTO ${this.t('registry_versions')} (${VERSION_COLS}) VALUES (${values.map(() => '?').join(', ')})`, values);
      await this.opts.beforeCommit?.('add-version');
      return version;
    });
  }

  async getVersion(name: string, ref: VersionRef): Promise<ModelVersion | undefined> {
    checkModelName(name);
    const r = checkRef(ref);
    const versions = this.t('registry_versions');
    const cols = VERSION_COLS.split(', ').map((c) => `v.${c}`).join(', ');
    let rows: VersionRow[];
    if (r === 'latest') rows = await this.db.all(`SELECT ${cols} FROM ${versions} v WHERE v.name = ? ORDER BY v.version DESC LIMIT 1`, [name]);
    else if (typeof r === 'number') rows = await this.db.all(`SELECT ${cols} FROM ${versions} v WHERE v.name = ? AND v.version = ?`, [name, r]);
    else {
      rows = await this.db.all(`SELECT ${cols} FROM ${this.t('registry_aliases')} a JOIN ${versions} v ON v.name = a.name AND v.version = a.version WHERE a.name = ? AND a.alias = ?`, [name, r.alias]);
    }
    return rows[0] && toVersion(rows[0]);
  }

  private async aliasesOf(exec: SqlExecutor, name?: string): Promise<Map<string, Record<string, number>>> {
    const rows = await exec.all<{ name: string; alias: string; version: number }>(
      `SELECT name, alias, version FROM ${this.t('registry_aliases')}${name === undefined ? '' : ' WHERE name = ?'} ORDER BY name, alias`,
      name === undefined ? [] : [name],
    );
    const out = new Map<string, Record<string, number>>();
    for (const r of rows) {
      const m = out.get(r.name) ?? {};
      m[r.alias] = Number(r.version);
      out.set(r.name, m);
    }
    return out;
  }

  async listModels(): Promise<RegisteredModel[]> {
    const rows = await this.db.all<{ name: string; created_at: string; last_version: number }>(`SELECT name, created_at, last_version FROM ${this.t('registry_models')} ORDER BY name`);
    const aliases = await this.aliasesOf(this.db);
    return rows.map((r) => ({ name: r.name, createdAt: r.created_at, latestVersion: Number(r.last_version), aliases: aliases.get(r.name) ?? {} }));
  }

  async getModel(name: string): Promise<ModelDetail | undefined> {
    checkModelName(name);
    const [model] = await this.db.all<{ name: string; created_at: string; last_version: number }>(`SELECT name, created_at, last_version FROM ${this.t('registry_models')} WHERE name = ?`, [name]);
    if (!model) return undefined;
    const versions = await this.db.all<VersionRow>(`SELECT ${VERSION_COLS} FROM ${this.t('registry_versions')} WHERE name = ? ORDER BY version`, [name]);
    const aliases = (await this.aliasesOf(this.db, name)).get(name) ?? {};
    return { name: model.name, createdAt: model.created_at, latestVersion: Number(model.last_version), aliases, versions: versions.map(toVersion) };
  }

  async moveAlias(change: AliasChange): Promise<AliasMove> {
    const name = checkModelName(change.name);
    const alias = checkAlias(change.alias);
    const to = change.to === null ? null : checkVersion(change.to);
    if (typeof change.who !== 'string' || !change.who.trim()) {
      throw new IntentOpsError('invalid_input', 'an alias move needs "who" (the person or system moving it)', { where: 'who', hint: 'pass the user name or the pipeline id' });
    }
    const why = change.why ?? null;
    const at = this.now();
    return this.db.transaction(async (tx) => {
      const [model] = await tx.all(`SELECT last_version FROM ${this.t('registry_models')} WHERE name = ?${this.lock}`, [name]);
      if (!model) throw notFound(`no registered model named ${JSON.stringify(name)}`);
      if (to !== null && !(await tx.all(`SELECT 1 AS one FROM ${this.t('registry_versions')} WHERE name = ? AND version = ?`, [name, to])).length) {
        throw notFound(`model ${name} has no version ${to}`, `see its versions with \`intentops models show ${name}\``);
      }
      const [current] = await tx.all<{ version: number }>(`SELECT version FROM ${this.t('registry_aliases')} WHERE name = ? AND alias = ?`, [name, alias]);
      const from = current ? Number(current.version) : null;
      if (to === null) {
        if (from === null) throw notFound(`model ${name} has no alias ${JSON.stringify(alias)}`, `see its aliases with \`intentops models show ${name}\``);
        await tx.run(`DELETE FROM ${this.t('registry_aliases')} WHERE name = ? AND alias = ?`, [name, alias]);
      } else {
        await tx.run(
          `INSERT INTO ${this.t('registry_aliases')} (name, alias, version, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (name, alias) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at`,
          [name, alias, to, at],
        );
      }
      const [{ id }] = await tx.all<{ id: number }>(
        `INSERT INTO ${this.t('registry_alias_log')} (name, alias, from_version, to_version, who, why, at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
        [name, alias, from, to, change.who, why, at],
      );
      await this.opts.beforeCommit?.('move-alias');
      return { id: Number(id), name, alias, from, to, who: change.who, why, at };
    });
  }

  async history(name: string, opts: { alias?: string; limit?: number } = {}): Promise<AliasMove[]> {
    checkModelName(name);
    const limit = opts.limit ?? 1000;
    if (!Number.isInteger(limit) || limit < 1) throw new IntentOpsError('invalid_input', `limit must be a positive integer, got ${limit}`, { where: 'limit' });
    const params: SqlValue[] = [name];
    let where = 'name = ?';
    if (opts.alias !== undefined) (where += ' AND alias = ?'), params.push(checkAlias(opts.alias));
    const rows = await this.db.all<LogRow>(`SELECT id, name, alias, from_version, to_version, who, why, at FROM ${this.t('registry_alias_log')} WHERE ${where} ORDER BY id DESC LIMIT ?`, [...params, limit]);
    return rows.map(toMove);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
