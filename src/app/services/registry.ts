import { resolve } from 'node:path';
import { checkModelName, formatModelUri, parseModelUri } from '../../ports/model-uri.js';
import { IntentOpsError } from '../../core/errors.js';
import type { ArtifactPruner, ArtifactStore } from '../../ports/artifact-store.js';
import type { ModelBundles } from '../../ports/model-bundles.js';
import type { AliasMove, ModelDetail, ModelVersion, RegisteredModel, RegistryStore } from '../../ports/registry-store.js';

/** The registry: records in a RegistryStore, bundles in a content-addressed ArtifactStore, verified by ModelBundles. */
export interface Registry {
  readonly store: RegistryStore;
  readonly artifacts: ArtifactStore & Partial<ArtifactPruner>;
  readonly bundles: Pick<ModelBundles, 'read'>;
}

/** Points where a crash test may stop a registration. */
export type RegisterStep = 'bundle-verified' | 'artifact-stored' | 'version-recorded';

export interface RegisterOptions {
  readonly runId?: string | null;
  readonly description?: string | null;
  readonly who?: string | null;
  readonly onStep?: (step: RegisterStep) => void | Promise<void>;
}

const finite = (m: Record<string, number | null>) => Object.fromEntries(Object.entries(m).filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1])));

/**
 * Registers the bundle in `dir` as the next version of model `name`.
 *
 * Order is what makes a crash harmless: the bundle is verified, its files are stored (durably)
 * under their tree hash, the stored copy is verified again (the source may have changed in
 * between), and only then is the version row committed. A crash before the commit leaves at
 * most an unreferenced artifact, which collectGarbage removes; never a version without files.
 *
 * Registering content that is already stored creates a new version number pointing at the
 * same artifact (as MLflow does: a version is a registration event with its own run and
 * description); the files are stored once.
 *
 * @example
 *   const v = await registerBundle(registry, 'models/tickets', 'tickets', { runId: run.id, who: 'ci' });
 *   await setAlias(registry, 'tickets', 'challenger', v.version, { who: 'ci', why: 'retrained on March data' });
 */
export async function registerBundle(reg: Registry, dir: string, name: string, opts: RegisterOptions = {}): Promise<ModelVersion> {
  checkModelName(name);
  reg.bundles.read(dir);
  await opts.onStep?.('bundle-verified');
  const hash = await reg.artifacts.put(dir);
  const stored = reg.bundles.read(await reg.artifacts.materialise(hash));
  await opts.onStep?.('artifact-stored');
  const version = await reg.store.addVersion({
    name,
    artifact: hash,
    runId: opts.runId ?? null,
    description: opts.description ?? null,
    source: resolve(dir),
    metrics: finite(stored.manifest.metrics),
    createdBy: opts.who ?? null,
  });
  await opts.onStep?.('version-recorded');
  return version;
}

/** The version a model URI names, or 'not_found' saying which part is missing. */
export async function findVersion(reg: Registry, uri: string): Promise<ModelVersion> {
  const { name, ref } = parseModelUri(uri);
  const v = await reg.store.getVersion(name, ref);
  if (v) return v;
  const model = await reg.store.getModel(name);
  if (!model) {
    throw new IntentOpsError('not_found', `no registered model named ${JSON.stringify(name)}`, { where: uri, hint: 'list models with `intentops models list`, or register one' });
  }
  if (typeof ref === 'object') {
    const known = Object.entries(model.aliases).map(([a, n]) => `${a} → ${n}`).join(', ') || 'none';
    throw new IntentOpsError('not_found', `model ${name} has no alias ${JSON.stringify(ref.alias)} (aliases: ${known})`, { where: uri, hint: `set it with \`intentops models alias set ${name} ${ref.alias} VERSION\`` });
  }
  throw new IntentOpsError('not_found', `model ${name} has no version ${ref} (latest is ${model.latestVersion})`, { where: uri, hint: `see its versions with \`intentops models show ${name}\`` });
}

export interface ResolvedModel {
  readonly name: string;
  readonly version: number;
  /** `models:/NAME/VERSION`: what the alias pointed at when resolved. */
  readonly uri: string;
  readonly record: ModelVersion;
  /** A verified bundle directory, ready for readBundle / openModel. */
  readonly path: string;
}

/**
 * Resolves `models:/NAME@ALIAS`, `models:/NAME/3`, `NAME@ALIAS`, `NAME/3` (or `/latest`) to a
 * verified bundle directory. Without `destDir` the path is the artifact store's own copy.
 */
export async function resolveModelUri(reg: Registry, uri: string, opts: { destDir?: string } = {}): Promise<ResolvedModel> {
  const v = await findVersion(reg, uri);
  const path = await reg.artifacts.materialise(v.artifact, opts.destDir);
  return { name: v.name, version: v.version, uri: formatModelUri(v.name, v.version), record: v, path };
}

export interface AliasOptions {
  /** The person or system moving the alias (required: it goes in the audit log). */
  readonly who: string;
  readonly why?: string | null;
}

/** Points `alias` at `version` (creating or moving it) and writes the move to the audit log. */
export function setAlias(reg: Registry, name: string, alias: string, version: number, opts: AliasOptions): Promise<AliasMove> {
  return reg.store.moveAlias({ name, alias, to: version, who: opts.who, why: opts.why ?? null });
}

export function deleteAlias(reg: Registry, name: string, alias: string, opts: AliasOptions): Promise<AliasMove> {
  return reg.store.moveAlias({ name, alias, to: null, who: opts.who, why: opts.why ?? null });
}

export function listModels(reg: Registry): Promise<RegisteredModel[]> {
  return reg.store.listModels();
}

export async function showModel(reg: Registry, name: string): Promise<ModelDetail> {
  const m = await reg.store.getModel(name);
  if (!m) throw new IntentOpsError('not_found', `no registered model named ${JSON.stringify(name)}`, { where: name, hint: 'list models with `intentops models list`' });
  return m;
}

/** The alias audit log of a model, newest first. */
export async function history(reg: Registry, name: string, opts: { alias?: string; limit?: number } = {}): Promise<AliasMove[]> {
  await showModel(reg, name);
  return reg.store.history(name, opts);
}

/**
 * Removes artifacts no version points at (left by registrations that crashed before their
 * commit), if older than `graceMs`: a registration in flight has stored its artifact but not
 * yet committed its version, and must not lose it.
 */
export async function collectGarbage(reg: Registry, opts: { graceMs?: number; now?: () => Date } = {}): Promise<{ removed: string[]; kept: number }> {
  const { list, remove } = reg.artifacts;
  if (!list || !remove) {
    throw new IntentOpsError('invalid_config', 'this artifact store cannot list or delete artifacts', { where: 'artifact store', hint: 'collect garbage with the storage provider\'s own lifecycle rules' });
  }
  const referenced = new Set<string>();
  for (const m of await reg.store.listModels()) for (const v of (await reg.store.getModel(m.name))?.versions ?? []) referenced.add(v.artifact);
  const cutoff = new Date((opts.now ?? (() => new Date()))().getTime() - (opts.graceMs ?? 3_600_000));
  const removed: string[] = [];
  let kept = 0;
  for (const a of await list.call(reg.artifacts)) {
    if (referenced.has(a.hash) || a.storedAt >= cutoff || !(await remove.call(reg.artifacts, a.hash, { storedBefore: cutoff }))) kept++;
    else removed.push(a.hash);
  }
  return { removed, kept };
}
