import type { RawRow } from '../../core/dataset/index.js';
import { IntentOpsError } from '../../core/errors.js';
import { missingColumn } from './columns.js';

/**
 * Shared by the JSON formats: fields may vary per object, so a field is "missing" only when no
 * object in the file has it; objects lacking it then reach the validator with `undefined`.
 */
export function checkFieldsPresent(
  objects: readonly Record<string, unknown>[],
  textCol: string,
  labelCol: string,
  file: string,
): void {
  if (objects.length === 0) return;
  const seen = new Set<string>();
  for (const o of objects) for (const k of Object.keys(o)) seen.add(k);
  if (!seen.has(textCol)) throw missingColumn([...seen], textCol, 'text', file);
  if (!seen.has(labelCol)) throw missingColumn([...seen], labelCol, 'label', file);
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function notAnObject(v: unknown, where: string): IntentOpsError {
  const got = v === null ? 'null' : Array.isArray(v) ? 'an array' : `a ${typeof v}`;
  return new IntentOpsError('invalid_input', `expected a JSON object, got ${got}`, {
    where,
    hint: 'each record must be an object such as {"text": "where is my order", "label": "track_order"}',
  });
}

/** Builds the row, replacing the text by `undefined` when the record's bytes were not UTF-8. */
export function toRow(
  obj: Record<string, unknown>,
  textCol: string,
  labelCol: string,
  file: string,
  line: number,
  invalidUtf8: RawRow['invalidUtf8'],
): RawRow {
  return invalidUtf8
    ? { text: undefined, label: obj[labelCol], line, file, invalidUtf8 }
    : { text: obj[textCol], label: obj[labelCol], line, file };
}
