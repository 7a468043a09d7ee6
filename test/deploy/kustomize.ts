/**
 * `kustomize build` for the subset deploy/k8s uses, so the tests can check every manifest an
 * overlay produces without kubectl: resources (files and directories), configMapGenerator (envs,
 * literals; behavior create/merge/replace; a content-hash name suffix and the references to it
 * rewritten), namespace, strategic-merge patches by kind and name (lists merged by their
 * Kubernetes merge key), images and replicas. A kustomization field outside that subset fails,
 * so the renderer never silently differs from the real one.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export type Manifest = Record<string, any>;

const SUPPORTED = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'configMapGenerator', 'patches', 'images', 'replicas']);
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'PriorityClass', 'StorageClass']);
/** Strategic-merge keys of the list fields the manifests patch (from the Kubernetes API types). */
const MERGE_KEYS: Record<string, string> = { containers: 'name', initContainers: 'name', env: 'name', volumes: 'name', volumeMounts: 'mountPath', ports: 'containerPort' };
const GENERATED = Symbol('generated');

function readDocs(file: string): Manifest[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  for (const d of docs) if (d.errors.length) throw new Error(`${file}: ${d.errors[0].message}`);
  return docs.map((d) => d.toJS() as Manifest).filter((m) => m != null);
}

function readEnvFile(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [i, raw] of readFileSync(file, 'utf8').split('\n').entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`${file}:${i + 1}: expected KEY=VALUE`);
    out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

const isObject = (v: unknown): v is Manifest => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A strategic merge of `patch` into `base` (neither is modified). */
export function strategicMerge(base: unknown, patch: unknown, field = ''): unknown {
  if (isObject(base) && isObject(patch)) {
    const out: Manifest = { ...base };
    for (const [k, v] of Object.entries(patch)) out[k] = k in base ? strategicMerge(base[k], v, k) : v;
    return out;
  }
  const key = MERGE_KEYS[field];
  if (key && Array.isArray(base) && Array.isArray(patch)) {
    const out = [...base];
    for (const item of patch) {
      const i = out.findIndex((b) => isObject(b) && isObject(item) && b[key] === item[key]);
      if (i >= 0) out[i] = strategicMerge(out[i], item);
      else out.push(item);
    }
    return out;
  }
  return patch;
}

function podSpecs(m: Manifest): Manifest[] {
  if (['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job'].includes(m.kind)) return m.spec?.template?.spec ? [m.spec.template.spec] : [];
  if (m.kind === 'CronJob') return m.spec?.jobTemplate?.spec?.template?.spec ? [m.spec.jobTemplate.spec.template.spec] : [];
  return [];
}

function build(dir: string): Manifest[] {
  const file = join(dir, 'kustomization.yaml');
  if (!existsSync(file)) throw new Error(`${dir}: no kustomization.yaml`);
  const [k] = readDocs(file);
  const unsupported = Object.keys(k).filter((f) => !SUPPORTED.has(f));
  if (unsupported.length) throw new Error(`${file}: the test renderer does not implement ${unsupported.join(', ')}`);

  const out: Manifest[] = [];
  for (const r of (k.resources ?? []) as string[]) {
    const path = join(dir, r);
    out.push(...(statSync(path).isDirectory() ? build(path) : readDocs(path)));
  }
  for (const g of (k.configMapGenerator ?? []) as Manifest[]) {
    const data: Record<string, string> = {};
    for (const e of (g.envs ?? []) as string[]) Object.assign(data, readEnvFile(join(dir, e)));
    for (const l of (g.literals ?? []) as string[]) data[l.slice(0, l.indexOf('='))] = l.slice(l.indexOf('=') + 1);
    const behavior = g.behavior ?? 'create';
    const existing = out.find((m) => m.kind === 'ConfigMap' && m.metadata.name === g.name && m[GENERATED as never]);
    if (behavior === 'create') {
      if (existing) throw new Error(`${file}: configMapGenerator ${g.name} already exists (use behavior: merge)`);
      out.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: g.name }, data, [GENERATED]: true });
    } else {
      if (!existing) throw new Error(`${file}: configMapGenerator ${g.name} (behavior ${behavior}) has no generated ConfigMap to ${behavior}`);
      existing.data = behavior === 'merge' ? { ...existing.data, ...data } : data;
    }
  }
  for (const p of (k.patches ?? []) as Manifest[]) {
    if (!p.path || p.target || p.patch) throw new Error(`${file}: only \`patches: - path: FILE\` (strategic merge by kind and name) is implemented`);
    const docs = readDocs(join(dir, p.path));
    if (docs.length !== 1) throw new Error(`${join(dir, p.path)}: one object per patch file`);
    const patch = docs[0];
    const i = out.findIndex((m) => m.kind === patch.kind && m.metadata?.name === patch.metadata?.name);
    if (i < 0) throw new Error(`${join(dir, p.path)}: no ${patch.kind} ${patch.metadata?.name} to patch`);
    const merged = strategicMerge(out[i], patch) as Manifest;
    if (out[i][GENERATED as never]) merged[GENERATED as never] = true as never;
    out[i] = merged;
  }
  if (k.namespace) for (const m of out) if (!CLUSTER_SCOPED.has(m.kind)) m.metadata = { ...m.metadata, namespace: k.namespace };
  for (const img of (k.images ?? []) as Manifest[]) {
    for (const spec of out.flatMap(podSpecs)) {
      for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])] as Manifest[]) {
        const m = /^(.*?)(?::([\w.-]+))?(?:@(sha256:[0-9a-f]{64}))?$/.exec(c.image)!;
        if (m[1] !== img.name) continue;
        const name = img.newName ?? m[1];
        c.image = img.digest ? `${name}@${img.digest}` : `${name}:${img.newTag ?? m[2] ?? 'latest'}`;
      }
    }
  }
  for (const r of (k.replicas ?? []) as Manifest[]) {
    const target = out.find((m) => ['Deployment', 'StatefulSet', 'ReplicaSet'].includes(m.kind) && m.metadata.name === r.name);
    if (!target) throw new Error(`${file}: replicas names ${r.name}, which is not a workload here`);
    target.spec.replicas = r.count;
  }
  return out;
}

/** The name suffix kustomize gives a generated ConfigMap: a hash of its kind, name and data. */
export function contentHash(m: Manifest): string {
  const sorted = Object.fromEntries(Object.entries(m.data ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)));
  const hex = createHash('sha256').update(JSON.stringify({ data: sorted, kind: m.kind, name: m.metadata.name })).digest('hex');
  return [...hex.slice(0, 10)].map((c) => ({ '0': 'g', '1': 'h', '3': 'k', a: 'm', e: 't' })[c] ?? c).join('');
}

/** `kustomize build DIR`: the manifests, generated names suffixed and referenced by their new name. */
export function kustomizeBuild(dir: string): Manifest[] {
  const out = build(dir);
  const renamed = new Map<string, string>();
  for (const m of out) {
    if (!m[GENERATED as never]) continue;
    const name = `${m.metadata.name}-${contentHash(m)}`;
    renamed.set(m.metadata.name, name);
    m.metadata = { ...m.metadata, name };
    delete m[GENERATED as never];
  }
  const rename = (ref: Manifest | undefined) => {
    if (ref?.name && renamed.has(ref.name)) ref.name = renamed.get(ref.name);
  };
  for (const spec of out.flatMap(podSpecs)) {
    for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])] as Manifest[]) {
      for (const e of (c.envFrom ?? []) as Manifest[]) rename(e.configMapRef);
      for (const e of (c.env ?? []) as Manifest[]) rename(e.valueFrom?.configMapKeyRef);
    }
    for (const v of (spec.volumes ?? []) as Manifest[]) rename(v.configMap);
  }
  return JSON.parse(JSON.stringify(out)) as Manifest[];
}
