import type { RawRow } from '../../core/dataset/index.js';
import { IntentOpsError } from '../../core/errors.js';
import { firstBadIn, lineLocator } from './decode.js';
import { checkFieldsPresent, isPlainObject, notAnObject, toRow } from './fields.js';
import type { ParseInput, ReadResult } from './types.js';

/** A JSON array of objects; each row reports the line its object starts on. */
export function parseJsonArray({ decoded, file, textCol, labelCol }: ParseInput): ReadResult {
  const { text, badLines } = decoded;
  if (text.trim() === '') return { rows: [], format: 'json' };
  const lineAt = lineLocator(text);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    const position = /at position (\d+)/.exec(message);
    throw new IntentOpsError('invalid_input', `invalid JSON: ${message}`, {
      where: position ? `${file}:${lineAt(Number(position[1]))}` : file,
      hint: 'check for trailing commas, unquoted keys or single quotes; one object per line belongs in a .jsonl file',
      cause: err,
    });
  }
  if (!Array.isArray(value)) {
    throw new IntentOpsError('invalid_input', `expected a JSON array of objects, got ${describe(value)}`, {
      where: file,
      hint: 'wrap the records in [ ... ], or save one object per line as .jsonl',
    });
  }

  const spans = elementSpans(text);
  const rows: RawRow[] = [];
  value.forEach((item, i) => {
    const span = spans[i];
    const line = span ? lineAt(span.start) : 0;
    if (!isPlainObject(item)) throw notAnObject(item, `${file}:${line}`);
    const bad = span ? firstBadIn(badLines, line, lineAt(span.end)) : undefined;
    rows.push(toRow(item, textCol, labelCol, file, line, bad));
  });
  checkFieldsPresent(value as Record<string, unknown>[], textCol, labelCol, file);
  return { rows, format: 'json' };
}

/**
 * Start and end offsets of the top-level array elements of `text`, which must already be known to
 * be valid JSON (JSON.parse does not report positions, so we walk the text once more).
 */
export function elementSpans(text: string): { start: number; end: number }[] {
  const spans: { start: number; end: number }[] = [];
  let depth = 0;
  let expecting = true; // at top level, waiting for an element to start
  let lastNonWs = -1;
  for (let i = text.indexOf('[') + 1; i < text.length; i++) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') continue;
    if (depth === 0 && (c === ',' || c === ']')) {
      if (!expecting) spans[spans.length - 1].end = lastNonWs;
      if (c === ']') break;
      expecting = true;
      continue;
    }
    if (depth === 0 && expecting) {
      spans.push({ start: i, end: i });
      expecting = false;
    }
    if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    lastNonWs = i;
  }
  return spans;
}

function describe(v: unknown): string {
  return v === null ? 'null' : typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}
