import type { RawRow } from '../../core/dataset/index.js';
import { IntentOpsError } from '../../core/errors.js';
import { checkFieldsPresent, isPlainObject, notAnObject, toRow } from './fields.js';
import type { ParseInput, ReadResult } from './types.js';

/** JSON Lines: one object per line, blank lines skipped. A line that is not JSON fails with file:line. */
export function parseJsonl({ decoded, file, textCol, labelCol }: ParseInput): ReadResult {
  const lines = decoded.text.split(/\r\n|\r|\n/);
  const objects: Record<string, unknown>[] = [];
  const rows: RawRow[] = [];
  lines.forEach((content, i) => {
    const line = i + 1;
    if (content.trim() === '') return;
    const badColumn = decoded.badLines.get(line);
    const invalidUtf8 = badColumn === undefined ? undefined : { line, column: badColumn };
    let value: unknown;
    try {
      value = JSON.parse(content);
    } catch (err) {
      if (invalidUtf8) {
        // The broken bytes are the likely cause; let the validator report them.
        rows.push({ text: undefined, label: undefined, line, file, invalidUtf8 });
        return;
      }
      throw new IntentOpsError('invalid_input', `invalid JSON: ${(err as Error).message}`, {
        where: `${file}:${line}`,
        hint: 'each line must be one complete JSON object; a JSON array file should use the .json extension',
        cause: err,
      });
    }
    if (!isPlainObject(value)) throw notAnObject(value, `${file}:${line}`);
    objects.push(value);
    rows.push(toRow(value, textCol, labelCol, file, line, invalidUtf8));
  });
  checkFieldsPresent(objects, textCol, labelCol, file);
  return { rows, format: 'jsonl' };
}
