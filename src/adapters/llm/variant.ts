import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, resolve } from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { IntentOpsError } from '../../core/errors.js';
import type { OpenAiChatOptionsInput } from './options.js';
import { VARIANT_PROVIDERS, type LlmVariant, type PromptTemplate, type VariantSettings } from '../../ports/llm-variant.js';
import { parsePromptTemplate } from './prompt.js';

/**
 * An LLM variant: everything that decides what the LLM fallback answers and what it costs —
 * provider, model or deployment, parameters, price and the prompt template — in one versioned
 * file, so a prompt or model change can be evaluated, gated and traced like a model.
 *
 * Two forms:
 *  - Markdown with YAML front matter: the settings between `---` lines, then the template
 *    (the `<!-- system -->` / `<!-- user -->` format of prompts/classify-v1.md);
 *  - a YAML file with the settings and `template:` (inline) or `promptFile:` (a template file,
 *    relative to the variant file).
 *
 * Its version is a content hash over the settings (except name and description) and the
 * template's system and user turns: renaming a file keeps the version, editing a comment in the
 * template keeps it, changing a word of the prompt or any parameter makes a new one.
 *
 * @example
 *   ---
 *   provider: openai
 *   model: gpt-4o-mini
 *   price: { inputPer1M: 0.15, outputPer1M: 0.6 }
 *   ---
 *   <!-- system --> ... {{intents}}
 *   <!-- user --> ... {{examples}} ... {{message}}
 */

const Price = z.strictObject({ inputPer1M: z.number().min(0), outputPer1M: z.number().min(0) });

export const PROVIDERS = VARIANT_PROVIDERS;

export const variantSchema = z
  .strictObject({
    /** Shown in reports; default: the file name without extension. */
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a name is letters, digits, ".", "_" and "-", starting with a letter or digit')
      .optional(),
    description: z.string().optional(),
    provider: z.enum(PROVIDERS),
    /** The model (openai, openai-compatible); for azure only a label (the deployment picks the model). */
    model: z.string().min(1).optional(),
    /** Azure OpenAI: `https://<resource>.openai.azure.com`, the deployment and the API version. */
    endpoint: z.url().optional(),
    deployment: z.string().min(1).optional(),
    apiVersion: z.string().min(1).optional(),
    /** openai-compatible (Ollama `http://localhost:11434/v1`, vLLM `http://host:8000/v1`); openai: default api.openai.com. */
    baseUrl: z.url().optional(),
    /** Name of the environment variable holding the API key (never the key itself). */
    apiKeyEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name such as OPENAI_API_KEY')
      .optional(),
    temperature: z.number().min(0).max(2).default(0),
    maxTokens: z.number().int().min(1).max(4096).default(64),
    responseFormat: z.enum(['json_schema', 'json_object', 'none']).default('json_schema'),
    /** USD per 1M input / output tokens; 0 for a local server. Required: every token is paid for. */
    price: Price,
    maxExamples: z.number().int().min(0).optional(),
    maxMessageChars: z.number().int().min(1).optional(),
    /** YAML form only: the template inline, or a template file relative to the variant file. */
    template: z.string().min(1).optional(),
    promptFile: z.string().min(1).optional(),
  })
  .superRefine((v, ctx) => {
    const need = (key: keyof typeof v, why: string) => {
      if (v[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: `'${key}' is required ${why}` });
    };
    if (v.provider === 'azure') {
      need('endpoint', "with provider 'azure'");
      need('deployment', "with provider 'azure'");
      if (v.baseUrl !== undefined) ctx.addIssue({ code: 'custom', path: ['baseUrl'], message: "'baseUrl' is not used with provider 'azure'; set 'endpoint'" });
    } else {
      need('model', `with provider '${v.provider}'`);
      if (v.provider === 'openai-compatible') need('baseUrl', "with provider 'openai-compatible' (e.g. http://localhost:11434/v1)");
      for (const k of ['endpoint', 'deployment', 'apiVersion'] as const) {
        if (v[k] !== undefined) ctx.addIssue({ code: 'custom', path: [k], message: `'${k}' is only used with provider 'azure'` });
      }
    }
    if (v.template !== undefined && v.promptFile !== undefined) ctx.addIssue({ code: 'custom', path: ['promptFile'], message: "give either 'template' or 'promptFile', not both" });
  });

export type { LlmVariant, VariantSettings } from '../../ports/llm-variant.js';
// the schema's output is the port's settings type (plus the template source, dropped after parsing)
type Parsed = Omit<z.output<typeof variantSchema>, 'template' | 'promptFile'>;
const _settingsMatch: (p: Parsed) => VariantSettings = (p) => p;
void _settingsMatch;

const HINT =
  'a variant is YAML front matter (between "---" lines) followed by the prompt template, or a YAML file with template: or promptFile:; ' +
  'settings: name, description, provider (openai | azure | openai-compatible), model, endpoint, deployment, apiVersion, baseUrl, apiKeyEnv, ' +
  'temperature, maxTokens, responseFormat (json_schema | json_object | none), price {inputPer1M, outputPer1M}, maxExamples, maxMessageChars';

type Path = (string | number)[];

/** 1-based line of the node at `path` in the YAML document (of the key when `key` is given). */
function lineOf(doc: Document, lc: LineCounter, path: Path, key?: string): number | undefined {
  const node = path.length ? doc.getIn(path, true) : doc.contents;
  if (key !== undefined && isMap(node)) {
    const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
    const r = (pair?.key as { range?: [number, number, number] } | undefined)?.range;
    if (r) return lc.linePos(r[0]).line;
  }
  if (path.length && key === undefined) {
    // point at the key of the offending value: "price:" rather than the line after it
    const parent = path.length > 1 ? doc.getIn(path.slice(0, -1), true) : doc.contents;
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(path[path.length - 1]));
      const r = (pair?.key as { range?: [number, number, number] } | undefined)?.range;
      if (r) return lc.linePos(r[0]).line;
    }
  }
  const r = (node as { range?: [number, number, number] } | null | undefined)?.range;
  if (r) return lc.linePos(r[0]).line;
  return path.length ? lineOf(doc, lc, path.slice(0, -1)) : undefined;
}

function fail(file: string, line: number | undefined, message: string, hint = HINT): IntentOpsError {
  return new IntentOpsError('invalid_config', message, { where: line === undefined ? file : `${file}:${line}`, hint });
}

/** Splits Markdown front matter: the YAML text, the line its first line is on, and the body with its first line. */
function frontMatter(text: string, file: string): { yaml: string; yamlLine: number; body: string; bodyLine: number } {
  const lines = text.split('\n');
  if (lines[0]?.replace(/\r$/, '') !== '---') throw fail(file, 1, 'a Markdown variant starts with a "---" line opening its YAML front matter');
  const end = lines.findIndex((l, i) => i > 0 && l.replace(/\r$/, '') === '---');
  if (end < 0) throw fail(file, 1, 'the YAML front matter is not closed: add a "---" line after the settings');
  return { yaml: lines.slice(1, end).join('\n'), yamlLine: 2, body: lines.slice(end + 1).join('\n'), bodyLine: end + 2 };
}

/** Canonical JSON (sorted keys) of a plain value, for hashing. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The content hash of a variant: its settings (without name, description) and the template's turns. */
export function variantHash(settings: LlmVariant['settings'], template: Pick<PromptTemplate, 'system' | 'user'>): string {
  const { name: _n, description: _d, ...rest } = settings;
  return createHash('sha256')
    .update(canonical({ settings: rest, system: template.system, user: template.user }))
    .digest('hex')
    .slice(0, 12);
}

/**
 * Parses a variant file's text. `file` names it in errors (`file:line`); `readTemplate` reads a
 * `promptFile` (YAML form). Throws `invalid_config` naming the line and how to fix it.
 */
export async function parseVariant(text: string, file: string, readTemplate: (path: string) => Promise<string> = (p) => readFile(p, 'utf8')): Promise<LlmVariant> {
  const markdown = /^\.(md|markdown)$/i.test(extname(file));
  const split = markdown ? frontMatter(text, file) : { yaml: text, yamlLine: 1, body: '', bodyLine: 0 };
  const offset = split.yamlLine - 1;
  const lc = new LineCounter();
  const doc = parseDocument(split.yaml, { lineCounter: lc, uniqueKeys: true });
  if (doc.errors.length) {
    const e = doc.errors[0];
    throw fail(file, lc.linePos(e.pos[0]).line + offset, `invalid YAML: ${e.message.split('\n')[0]}`, 'fix the YAML syntax of the settings');
  }
  const tree: unknown = doc.toJS() ?? {};
  if (tree === null || typeof tree !== 'object' || Array.isArray(tree)) throw fail(file, split.yamlLine, 'the settings must be a YAML mapping (key: value lines)');
  const parsed = variantSchema.safeParse(tree);
  if (!parsed.success) {
    const problems = parsed.error.issues.flatMap((issue) => {
      const path = issue.path as Path;
      if (issue.code === 'unrecognized_keys') {
        return issue.keys.map((k) => ({ line: lineOf(doc, lc, path, k), field: [...path, k].join('.'), message: `unknown setting "${k}"` }));
      }
      return [{ line: lineOf(doc, lc, path), field: path.join('.') || 'settings', message: issue.message }];
    });
    problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    const at = (p: (typeof problems)[number]) => `${file}${p.line === undefined ? '' : `:${p.line + offset}`}`;
    const [first] = problems;
    const more = problems.slice(1).map((p) => `\n  also ${at(p)} (${p.field}): ${p.message}`).join('');
    throw new IntentOpsError('invalid_config', `${first.field}: ${first.message}${more}`, { where: `${at(first)} (${first.field})`, hint: HINT });
  }
  const { template: inline, promptFile, ...settings } = parsed.data;
  let templateText: string;
  let templateFile = file;
  let templateLine = split.bodyLine;
  if (markdown) {
    if (inline !== undefined || promptFile !== undefined) {
      const key = inline !== undefined ? 'template' : 'promptFile';
      throw fail(file, (lineOf(doc, lc, [], key) ?? 1) + offset, `'${key}' is for YAML variant files; in a Markdown variant the template is the text after the front matter`);
    }
    templateText = split.body;
  } else if (inline !== undefined) {
    templateText = inline;
    templateLine = 0; // the template's own line numbers are shown relative to the file below
    templateFile = file;
  } else if (promptFile !== undefined) {
    templateFile = resolve(dirname(file), promptFile);
    try {
      templateText = await readTemplate(templateFile);
    } catch (e) {
      throw fail(file, (lineOf(doc, lc, [], 'promptFile') ?? 1) + offset, `cannot read promptFile ${templateFile}: ${(e as Error).message}`, 'promptFile is relative to the variant file');
    }
    templateLine = 1;
  } else {
    throw fail(file, split.yamlLine, "the variant has no prompt template: add 'template:' (inline) or 'promptFile:' (a template file such as prompts/classify-v1.md)");
  }
  let template: PromptTemplate;
  try {
    template = parsePromptTemplate(templateText, templateFile);
  } catch (e) {
    if (!(e instanceof IntentOpsError)) throw e;
    // the template parser counts lines from the template's start: count them from the file's
    const m = /:(\d+)$/.exec(e.where ?? '');
    const within = m ? Number(m[1]) : undefined;
    let line: number | undefined;
    if (templateLine > 0) line = within === undefined ? templateLine : templateLine + within - 1;
    else {
      // an inline `template: |` block starts on the line after its key
      const key = lineOf(doc, lc, [], 'template');
      line = key === undefined ? undefined : key + offset + (within ?? 0);
    }
    throw new IntentOpsError('invalid_config', `prompt template: ${e.message}`, { where: line === undefined ? templateFile : `${templateFile}:${line}`, hint: e.hint });
  }
  const name = settings.name ?? basename(file).replace(/\.[^.]*$/, '');
  const hash = variantHash(settings, template);
  return Object.freeze({ name, file, hash, settings: Object.freeze(settings), template: Object.freeze({ ...template, version: `${name}@${hash}` }) });
}

/** Reads and parses a variant file. */
export async function loadVariant(file: string): Promise<LlmVariant> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new IntentOpsError('not_found', `cannot read the LLM variant file: ${(e as Error).message}`, { where: file, hint: 'pass existing variant files (see docs in README, "LLM variants")' });
  }
  return parseVariant(text, file);
}

/** The environment variable a variant's API key is read from (default per provider). */
export function apiKeyEnvOf(v: LlmVariant): string | undefined {
  return v.settings.apiKeyEnv ?? (v.settings.provider === 'openai' ? 'OPENAI_API_KEY' : v.settings.provider === 'azure' ? 'AZURE_OPENAI_API_KEY' : undefined);
}

export { modelOfVariant } from '../../ports/llm-variant.js';
import { modelOfVariant } from '../../ports/llm-variant.js';

/**
 * Options of the openai-chat adapter for a variant. `tuning` adds call settings that are about
 * the run, not the variant (concurrency, retries, timeouts).
 */
export function chatOptionsOf(v: LlmVariant, env: NodeJS.ProcessEnv, tuning: Partial<OpenAiChatOptionsInput> = {}): OpenAiChatOptionsInput {
  const s = v.settings;
  const keyEnv = apiKeyEnvOf(v);
  const apiKey = keyEnv ? env[keyEnv] || undefined : undefined;
  if (keyEnv && !apiKey) {
    throw new IntentOpsError('invalid_config', `variant ${v.name} needs an API key in $${keyEnv}`, { where: v.file, hint: `export ${keyEnv}=… (or set apiKeyEnv in the variant to another variable)` });
  }
  const price = { inputPer1M: s.price.inputPer1M, outputPer1M: s.price.outputPer1M };
  return {
    ...tuning,
    ...(s.provider === 'azure'
      ? { azure: { endpoint: s.endpoint!, deployment: s.deployment!, ...(s.apiVersion ? { apiVersion: s.apiVersion } : {}) } }
      : { model: s.model, ...(s.baseUrl ? { baseUrl: s.baseUrl } : {}) }),
    ...(apiKey ? { apiKey } : {}),
    temperature: s.temperature,
    maxTokens: s.maxTokens,
    responseFormat: s.responseFormat,
    prices: { [modelOfVariant(v)]: price },
    ...(s.maxExamples !== undefined ? { maxExamples: s.maxExamples } : {}),
    ...(s.maxMessageChars !== undefined ? { maxMessageChars: s.maxMessageChars } : {}),
  };
}
