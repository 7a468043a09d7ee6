import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { IntentOpsError } from '../core/errors.js';

/**
 * The one configuration schema. Precedence: explicit flags > environment > config file > defaults.
 * Read once, at the edge (the CLI), validated, and printed back with secrets masked by
 * `intentops config`.
 */
export const configSchema = z.object({
  embedder: z.string().default('hashed'),
  index: z.enum(['auto', 'exact', 'hnsw']).default('auto'),
  seed: z.number().int().default(42),
  targetPrecision: z.number().gt(0).max(1).default(0.97),
  valFraction: z.number().gt(0).lt(1).default(0.1),
  validation: z.enum(['auto', 'split', 'cv']).default('auto'),
  /** Disk cache of slow embedders' training vectors; '' turns it off. */
  cacheDir: z.string().default('.intentops/cache'),
  data: z
    .object({
      textCol: z.string().default('text'),
      labelCol: z.string().default('label'),
      delimiter: z.string().length(1).optional(),
      maxTextLength: z.number().int().positive().default(5000),
      minExamplesPerLabel: z.number().int().positive().default(5),
      strict: z.boolean().default(false),
    })
    .prefault({}),
  onnx: z.object({ modelDir: z.string().optional(), threads: z.number().int().positive().default(2) }).prefault({}),
  openai: z
    .object({
      baseUrl: z.string().url().default('https://api.openai.com/v1'),
      apiKey: z.string().optional(),
      model: z.string().default('text-embedding-3-small'),
      azureEndpoint: z.string().url().optional(),
      azureDeployment: z.string().optional(),
      azureApiVersion: z.string().default('2024-10-21'),
    })
    .prefault({}),
});

export type Config = z.infer<typeof configSchema>;

/** Environment variables the app reads, and the config path each one sets. */
export const ENV_CATALOGUE = Object.freeze({
  INTENTOPS_EMBEDDER: 'embedder',
  INTENTOPS_INDEX: 'index',
  INTENTOPS_SEED: 'seed',
  INTENTOPS_CACHE_DIR: 'cacheDir',
  INTENTOPS_TARGET_PRECISION: 'targetPrecision',
  INTENTOPS_ONNX_MODEL_DIR: 'onnx.modelDir',
  INTENTOPS_ONNX_THREADS: 'onnx.threads',
  OPENAI_API_KEY: 'openai.apiKey',
  OPENAI_BASE_URL: 'openai.baseUrl',
  INTENTOPS_OPENAI_EMBEDDING_MODEL: 'openai.model',
  AZURE_OPENAI_ENDPOINT: 'openai.azureEndpoint',
  AZURE_OPENAI_API_KEY: 'openai.apiKey',
  AZURE_OPENAI_EMBEDDING_DEPLOYMENT: 'openai.azureDeployment',
  AZURE_OPENAI_API_VERSION: 'openai.azureApiVersion',
} as const);

const SECRET_KEYS = /key|secret|token|password/i;
export const DEFAULT_CONFIG_FILE = 'intentops.yaml';

type Tree = Record<string, unknown>;

function setPath(t: Tree, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = t;
  for (const p of parts.slice(0, -1)) cur = (cur[p] ??= {}) as Tree;
  cur[parts[parts.length - 1]] = value;
}

function merge(a: Tree, b: Tree): Tree {
  const out: Tree = { ...a };
  for (const [k, v] of Object.entries(b)) {
    if (v === undefined) continue;
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && out[k] && typeof out[k] === 'object' ? merge(out[k] as Tree, v as Tree) : v;
  }
  return out;
}

/** Numbers in env vars arrive as strings; coerce where the schema wants a number. */
function coerce(path: string, raw: string): unknown {
  return /^(seed|targetPrecision|onnx\.threads)$/.test(path) ? Number(raw) : raw;
}

function readFile(path: string): { tree: Tree; lineOf: (p: (string | number)[]) => number | undefined } {
  const text = readFileSync(path, 'utf8');
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc });
  if (doc.errors.length) {
    const e = doc.errors[0];
    const line = lc.linePos(e.pos[0]).line;
    throw new IntentOpsError('invalid_config', `invalid YAML: ${e.message.split('\n')[0]}`, { where: `${path}:${line}`, hint: 'fix the YAML syntax' });
  }
  const tree = (doc.toJS() ?? {}) as Tree;
  const lineOf = (p: (string | number)[]) => {
    const node = doc.getIn(p, true) as { range?: [number, number, number] } | undefined;
    return node?.range ? lc.linePos(node.range[0]).line : undefined;
  };
  return { tree, lineOf };
}

export interface ConfigSources {
  readonly file?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly flags?: Tree;
}

/** Resolves the effective configuration; errors name the field, and the file line where it came from. */
export function loadConfig(src: ConfigSources = {}): Config {
  const env = src.env ?? {};
  const path = src.file ?? env.INTENTOPS_CONFIG ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
  let fileTree: Tree = {};
  let lineOf: (p: (string | number)[]) => number | undefined = () => undefined;
  if (path) {
    if (!existsSync(path)) throw new IntentOpsError('not_found', `config file ${path} does not exist`, { where: path, hint: 'create it or drop --config / INTENTOPS_CONFIG' });
    ({ tree: fileTree, lineOf } = readFile(path));
  }
  const envTree: Tree = {};
  for (const [name, p] of Object.entries(ENV_CATALOGUE)) {
    const v = env[name];
    if (v !== undefined && v !== '') setPath(envTree, p, coerce(p, v));
  }
  const merged = merge(merge(fileTree, envTree), src.flags ?? {});
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.join('.');
    const line = path ? lineOf(issue.path as (string | number)[]) : undefined;
    const fromEnv = Object.entries(ENV_CATALOGUE).find(([n, p]) => p === field && env[n] !== undefined)?.[0];
    const where = line ? `${path}:${line} (${field})` : fromEnv ? `env ${fromEnv} (${field})` : field;
    throw new IntentOpsError('invalid_config', `${field}: ${issue.message}`, { where, hint: `see \`intentops config\` and the README's configuration table` });
  }
  return parsed.data;
}

/** The configuration with secrets replaced, for printing. */
export function maskSecrets(c: unknown): unknown {
  if (Array.isArray(c)) return c.map(maskSecrets);
  if (c && typeof c === 'object') {
    return Object.fromEntries(Object.entries(c).map(([k, v]) => [k, SECRET_KEYS.test(k) && typeof v === 'string' ? `${v.slice(0, 3)}…(${v.length} chars)` : maskSecrets(v)]));
  }
  return c;
}

export { parseYaml };
