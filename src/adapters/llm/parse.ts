import { IntentOpsError } from '../../core/errors.js';
import { LlmAnswerError, type LlmUsage } from '../../ports/llm.js';
import { NONE } from './prompt.js';

/**
 * Reading the model's answer. The answer is accepted only if it names exactly one of the
 * request's intents (or `none`); everything else is an error, never a label. This check, not
 * the prompt, is what makes prompt injection harmless: whatever the message talks the model
 * into saying, an out-of-set or doubled label cannot get through.
 */

export type ResponseFormat = 'json_schema' | 'json_object' | 'none';

export { LlmAnswerError };

interface Span {
  readonly start: number;
  readonly end: number;
  /** Decoded names of the object's own (top-level) keys, duplicates kept. */
  readonly keys: string[];
}

/** Top-level `{...}` spans in text, found with string-aware brace matching. */
function objectSpans(text: string): Span[] | 'unbalanced' {
  const spans: Span[] = [];
  let depth = 0;
  let start = -1;
  let keys: string[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"' && depth > 0) {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (j >= text.length) return 'unbalanced';
      if (depth === 1 && /^\s*:/.test(text.slice(j + 1, j + 40))) {
        try {
          keys.push(JSON.parse(text.slice(i, j + 1)) as string);
        } catch {
          keys.push(text.slice(i + 1, j));
        }
      }
      i = j;
    } else if (c === '{' || c === '[') {
      if (depth === 0) {
        if (c === '[') continue; // prose like "[note]" outside any object is not JSON we read
        start = i;
        keys = [];
      }
      depth++;
    } else if ((c === '}' || c === ']') && depth > 0) {
      depth--;
      if (depth === 0) spans.push({ start, end: i + 1, keys });
    }
  }
  return depth === 0 ? spans : 'unbalanced';
}

/** Strips one surrounding Markdown code fence, which JSON-mode servers sometimes add. */
function unfence(text: string): string {
  const m = /^```[a-zA-Z]*\s*\n([\s\S]*?)\n?```$/.exec(text);
  return m ? m[1].trim() : text;
}

/**
 * Describes a bad answer without quoting it: an injected message can make the model echo its
 * text, and error messages end up in logs, which never hold message texts by default.
 */
function short(value: unknown): string {
  const s = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  return `a ${typeof value} of ${s.length} chars`;
}

/**
 * The intent named by `content`: one of `names`, or null for `none`. Throws LlmAnswerError for
 * an empty answer, no or several JSON objects, malformed JSON, a missing, doubled or non-string
 * `intent`, or a label outside the set. Case and surrounding spaces are forgiven (the canonical
 * name is returned) when that leaves exactly one match.
 */
export function parseAnswer(content: string, names: readonly string[], mode: ResponseFormat, ctx: { usage?: LlmUsage; model?: string; where?: string } = {}): string | null {
  const fail = (why: string) => new LlmAnswerError(`unusable LLM answer: ${why}`, ctx.usage, ctx.model, ctx.where);
  const text = unfence(content.trim());
  if (!text) throw fail('the answer is empty');
  const spans = objectSpans(text);
  if (spans === 'unbalanced') throw fail('malformed JSON (unbalanced braces or an unterminated string)');
  if (spans.length === 0) throw fail('no JSON object in the answer');
  if (spans.length > 1) throw fail(`${spans.length} JSON objects in the answer; exactly one is allowed`);
  const [span] = spans;
  // JSON modes promise a bare object: text around it means the server did not honour the mode.
  if (mode !== 'none' && (span.start !== 0 || span.end !== text.length)) throw fail('text outside the JSON object');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.slice(span.start, span.end));
  } catch (e) {
    throw fail(`malformed JSON (${(e as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw fail('the JSON is not an object');
  const intentKeys = span.keys.filter((k) => k === 'intent').length;
  if (intentKeys === 0) throw fail('the JSON object has no "intent" field');
  if (intentKeys > 1) throw fail(`the JSON object has ${intentKeys} "intent" fields; exactly one label is allowed`);
  const value = (parsed as { intent: unknown }).intent;
  if (Array.isArray(value)) throw fail(`"intent" holds ${value.length} values; exactly one label is allowed`);
  if (typeof value !== 'string') throw fail(`"intent" is ${short(value)}, not a string`);
  const label = value.trim();
  if (label.toLowerCase() === NONE) return null;
  if (names.includes(label)) return label;
  const folded = names.filter((n) => n.toLowerCase() === label.toLowerCase());
  if (folded.length === 1) return folded[0];
  throw new LlmAnswerError(`unusable LLM answer: the model answered ${short(value)}, which is neither one of the ${names.length} intents nor "${NONE}"`, ctx.usage, ctx.model, ctx.where, label);
}
