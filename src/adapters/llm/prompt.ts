import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IntentOpsError } from '../../core/errors.js';
import type { LlmRequest } from '../../ports/llm.js';

/**
 * The classification prompt: a versioned template file (prompts/classify-v1.md) rendered with
 * the label set, the nearest labelled examples and the message. The delimiters are added here,
 * not by the template, so an edited template cannot drop the message's fence; the fake LLM
 * server reads rendered prompts back with `readRenderedPrompt`, which shares these constants.
 */

/** Tags fencing each rendered section. Untrusted text never contains them (see `neutralise`). */
export const DELIMITERS = Object.freeze({
  intents: Object.freeze({ open: '<intents>', close: '</intents>' }),
  examples: Object.freeze({ open: '<examples>', close: '</examples>' }),
  message: Object.freeze({ open: '<message>', close: '</message>' }),
});

/** The answer meaning "no intent fits"; reserved, so no intent may be called this. */
export const NONE = 'none';

const PLACEHOLDERS = ['intents', 'examples', 'message'] as const;
const SYSTEM_MARK = '<!-- system -->';
const USER_MARK = '<!-- user -->';
const MAX_EXAMPLE_CHARS = 500;

export type { PromptTemplate } from '../../ports/llm-variant.js';
import type { PromptTemplate } from '../../ports/llm-variant.js';

export interface RenderLimits {
  readonly maxMessageChars: number;
  readonly maxExamples: number;
}

/** What a rendered prompt carries, as read back by `readRenderedPrompt`. */
export interface PromptContent {
  readonly intents: { name: string; description?: string }[];
  readonly examples: { text: string; intent: string }[];
  readonly message: string;
}

/** The shipped template: repo-root prompts/, from src/adapters/llm or dist/src/adapters/llm. */
export function defaultPromptFile(): string {
  const candidates = ['../../../prompts/classify-v1.md', '../../../../prompts/classify-v1.md'].map((p) => fileURLToPath(new URL(p, import.meta.url)));
  return candidates.find((p) => existsSync(p)) ?? candidates[0];
}

function templateError(file: string, text: string, index: number, message: string): IntentOpsError {
  const line = index < 0 ? undefined : text.slice(0, index).split('\n').length;
  return new IntentOpsError('invalid_config', message, {
    where: line === undefined ? file : `${file}:${line}`,
    hint: `the template needs the lines "${SYSTEM_MARK}" and "${USER_MARK}" and the placeholders {{intents}}, {{message}} (in the user part) and optionally {{examples}}`,
  });
}

/** Splits and checks a template's text; `file` only names it in errors. */
export function parsePromptTemplate(text: string, file: string): PromptTemplate {
  const s = text.indexOf(SYSTEM_MARK);
  const u = text.indexOf(USER_MARK);
  if (s < 0 || u < 0 || u < s) throw templateError(file, text, -1, `expected a "${SYSTEM_MARK}" line followed by a "${USER_MARK}" line`);
  for (const m of text.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)) {
    if (!(PLACEHOLDERS as readonly string[]).includes(m[1])) {
      throw templateError(file, text, m.index ?? -1, `unknown placeholder {{${m[1]}}}; valid: ${PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}`);
    }
  }
  const system = text.slice(s + SYSTEM_MARK.length, u).trim();
  const user = text.slice(u + USER_MARK.length).trim();
  const count = (part: string, name: string) => part.split(`{{${name}}}`).length - 1;
  for (const name of PLACEHOLDERS) {
    const n = count(system, name) + count(user, name);
    if (n > 1) throw templateError(file, text, text.lastIndexOf(`{{${name}}}`), `{{${name}}} appears ${n} times; use it once`);
    if (n === 0 && name !== 'examples') throw templateError(file, text, -1, `the placeholder {{${name}}} is missing`);
  }
  if (count(user, 'message') !== 1) throw templateError(file, text, text.indexOf('{{message}}'), '{{message}} must be in the user part (after the user marker)');
  return { file, version: basename(file).replace(/\.[^.]*$/, ''), system, user };
}

export async function loadPromptTemplate(file: string = defaultPromptFile()): Promise<PromptTemplate> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new IntentOpsError('not_found', `cannot read the prompt template: ${(e as Error).message}`, {
      where: file,
      hint: 'set the LLM option promptFile to an existing template (see prompts/classify-v1.md)',
      cause: e,
    });
  }
  return parsePromptTemplate(text, file);
}

/**
 * Makes untrusted text unable to open or close a section: any tag-like `<message`, `</message>`,
 * `< /Examples >`, `<intent ...>` gets angle quotes instead of angle brackets. The LLM still
 * reads the words; the fences stay unambiguous.
 */
export function neutralise(text: string): string {
  return text.replace(/<(\s*\/?\s*(?:message|examples?|intents?)\b)([^<>]*)(>?)/gi, (_m, tag: string, rest: string, end: string) => `‹${tag}${rest}${end ? '›' : ''}`);
}

function oneLine(text: string, max: number): string {
  const flat = neutralise(text).replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** Intent names end up in tags and lists: keep them to one clean line and off the reserved word. */
export function checkIntents(intents: LlmRequest['intents']): void {
  const seen = new Set<string>();
  if (intents.length === 0) throw new IntentOpsError('invalid_input', 'the LLM request has no intents', { where: 'llm.intents' });
  for (const { name } of intents) {
    if (!name || name !== name.trim() || /[\u0000-\u001f"<>]/.test(name) || name.includes(': ')) {
      throw new IntentOpsError('invalid_input', `intent name ${JSON.stringify(name)} cannot be put in a prompt`, {
        where: 'llm.intents',
        hint: 'intent names must be non-empty single lines without quotes, angle brackets, ": " or surrounding spaces',
      });
    }
    if (name.toLowerCase() === NONE) {
      throw new IntentOpsError('invalid_input', `"${name}" is reserved for "no intent fits"`, { where: 'llm.intents', hint: 'rename that intent' });
    }
    if (seen.has(name)) throw new IntentOpsError('invalid_input', `intent ${name} is listed twice`, { where: 'llm.intents' });
    seen.add(name);
  }
}

function renderIntents(intents: LlmRequest['intents']): string {
  const lines = intents.map((i) => (i.description ? `- ${i.name}: ${oneLine(i.description, 300)}` : `- ${i.name}`));
  return [DELIMITERS.intents.open, ...lines, DELIMITERS.intents.close].join('\n');
}

function renderExamples(req: LlmRequest, names: ReadonlySet<string>, limit: number): string {
  // An example labelled outside the set would invite an out-of-set answer.
  const usable = req.examples.filter((e) => names.has(e.intent)).slice(0, limit);
  const lines = usable.map((e) => `<example intent="${e.intent}">${oneLine(e.text, MAX_EXAMPLE_CHARS)}</example>`);
  return [DELIMITERS.examples.open, ...(lines.length ? lines : ['(none)']), DELIMITERS.examples.close].join('\n');
}

function renderMessage(text: string, max: number): string {
  const cut = text.length > max ? `${text.slice(0, max)}\n[… ${text.length - max} more characters not shown]` : text;
  return `${DELIMITERS.message.open}\n${neutralise(cut)}\n${DELIMITERS.message.close}`;
}

/**
 * What depends only on the intent list, once per intents array: a served model passes the same
 * (frozen) array with every request, and 77 intents cost more to check and render than the rest
 * of the prompt. A different array (another model, a test) is checked and rendered afresh.
 */
interface IntentParts {
  /** The checked and rendered intent list. */
  readonly block: string;
  readonly names: ReadonlySet<string>;
  /** Template parts with no per-message placeholder, filled (the shipped system turn). */
  readonly filled: Map<string, string>;
}

const intentParts = new WeakMap<LlmRequest['intents'], IntentParts>();

function partsOf(intents: LlmRequest['intents']): IntentParts {
  let parts = intentParts.get(intents);
  if (parts === undefined) {
    checkIntents(intents);
    parts = { block: renderIntents(intents), names: new Set(intents.map((i) => i.name)), filled: new Map() };
    if (Object.isFrozen(intents)) intentParts.set(intents, parts);
  }
  return parts;
}

/** Whether a template part is the same for every message of one intent list. */
export function staticPart(part: string): boolean {
  return !part.includes('{{examples}}') && !part.includes('{{message}}');
}

/** The system and user turns for one request. Placeholders are filled in one pass (no re-expansion). */
export function renderPrompt(t: PromptTemplate, req: LlmRequest, limits: RenderLimits): { system: string; user: string } {
  const parts = partsOf(req.intents);
  let values: Record<string, string> | undefined;
  const fill = (part: string) => {
    values ??= { intents: parts.block, examples: renderExamples(req, parts.names, limits.maxExamples), message: renderMessage(req.text, limits.maxMessageChars) };
    return part.replace(/\{\{(\w+)\}\}/g, (_m, name: string) => values![name]);
  };
  // a part that only lists the intents is filled once per intent list
  const once = (part: string) => {
    if (!staticPart(part)) return fill(part);
    let f = parts.filled.get(part);
    if (f === undefined) parts.filled.set(part, (f = part.replace(/\{\{intents\}\}/g, () => parts.block)));
    return f;
  };
  return { system: once(t.system), user: once(t.user) };
}

function section(text: string, d: { open: string; close: string }): string | undefined {
  const start = text.indexOf(`${d.open}\n`);
  const end = text.lastIndexOf(`\n${d.close}`);
  return start < 0 || end < start ? undefined : text.slice(start + d.open.length + 1, end);
}

/**
 * Reads the intents, examples and message back out of a prompt made by `renderPrompt` (system
 * and user turns joined). Returns undefined for text not rendered by it.
 */
export function readRenderedPrompt(text: string): PromptContent | undefined {
  const message = section(text, DELIMITERS.message);
  const intentBlock = section(text, DELIMITERS.intents);
  if (message === undefined || intentBlock === undefined) return undefined;
  const intents = intentBlock
    .split('\n')
    .filter((l) => l.startsWith('- '))
    .map((l) => {
      const at = l.indexOf(': ');
      return at < 0 ? { name: l.slice(2) } : { name: l.slice(2, at), description: l.slice(at + 2) };
    });
  const examples = [...(section(text, DELIMITERS.examples) ?? '').matchAll(/<example intent="([^"]*)">(.*)<\/example>/g)].map((m) => ({ intent: m[1], text: m[2] }));
  return { intents, examples, message };
}
