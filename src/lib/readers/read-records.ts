import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { IntentOpsError } from '../../core/errors.js';
import { parseCsv } from './csv.js';
import { decodeUtf8 } from './decode.js';
import { parseJsonArray } from './json-array.js';
import { parseJsonl } from './jsonl.js';
import type { Format, Parser, ReadOptions, ReadResult } from './types.js';

/** One parser per format; the keys are the valid `format` values. */
export const PARSERS: Readonly<Record<Format, Parser>> = Object.freeze({
  csv: parseCsv,
  jsonl: parseJsonl,
  json: parseJsonArray,
});

/** File extension → format (and, for .tsv, the delimiter it implies). */
export const EXTENSIONS: Readonly<Record<string, { readonly format: Format; readonly delimiter?: string }>> =
  Object.freeze({
    '.csv': { format: 'csv' },
    '.tsv': { format: 'csv', delimiter: '\t' },
    '.jsonl': { format: 'jsonl' },
    '.ndjson': { format: 'jsonl' },
    '.json': { format: 'json' },
  });

/**
 * Read labelled records from a CSV/TSV, JSON Lines or JSON array file. Structural problems (missing
 * column, unparsable line) throw an `IntentOpsError` with file:line; content problems, invalid
 * UTF-8 included, are left on the rows for `checkDataset` to report.
 *
 * @example
 * const { rows } = await readRecords('data/intents.csv', { textCol: 'utterance', labelCol: 'intent' });
 * const { examples, findings } = checkDataset(rows);
 */
export async function readRecords(path: string, opts: ReadOptions = {}): Promise<ReadResult> {
  const { format, delimiter } = resolveFormat(path, opts);
  const bytes = await readBytes(path);
  const decoded = decodeUtf8(bytes);
  const textCol = opts.textCol ?? 'text';
  const labelCol = opts.labelCol ?? 'label';
  const read = PARSERS[format]({ decoded, file: path, textCol, labelCol, delimiter });
  if (read.rows.length === 0) throw noRecords(path, format, decoded.text, textCol, labelCol);
  return read;
}

/** A file without a single record is never a usable data set: say so at its first line, with the shape expected. */
function noRecords(path: string, format: Format, text: string, textCol: string, labelCol: string): IntentOpsError {
  const example =
    format === 'csv'
      ? `a header line "${textCol},${labelCol}", then one row per example`
      : format === 'jsonl'
        ? `one object per line, e.g. {"${textCol}": "where is my order", "${labelCol}": "delivery"}`
        : `an array of objects, e.g. [{"${textCol}": "where is my order", "${labelCol}": "delivery"}]`;
  if (text.trim() === '') {
    return new IntentOpsError('invalid_input', `the file is empty${text.length ? ' (only whitespace)' : ''}`, { where: `${path}:1`, hint: `a ${format} data file needs ${example}` });
  }
  const what = format === 'csv' ? 'a header line but no data rows' : format === 'json' ? 'an empty array' : 'no records';
  // a CSV's first example belongs on the line after its header
  const lines = text.split(/\r\n|\r|\n/);
  let last = lines.length;
  while (last > 1 && lines[last - 1].trim() === '') last--;
  return new IntentOpsError('invalid_input', `the file has ${what}`, { where: `${path}:${format === 'csv' ? last + 1 : 1}`, hint: `add examples: ${example}` });
}

function resolveFormat(path: string, opts: ReadOptions): { format: Format; delimiter?: string } {
  const byExt = EXTENSIONS[extname(path).toLowerCase()];
  if (opts.format !== undefined) {
    if (!Object.hasOwn(PARSERS, opts.format)) {
      throw new IntentOpsError('invalid_input', `unknown format ${JSON.stringify(opts.format)}`, {
        where: 'format',
        hint: `use one of: ${Object.keys(PARSERS).join(', ')}`,
      });
    }
    const delimiter = opts.delimiter ?? (byExt?.format === opts.format ? byExt.delimiter : undefined);
    return { format: opts.format, delimiter };
  }
  if (!byExt) {
    throw new IntentOpsError('invalid_input', `cannot tell the format of ${JSON.stringify(path)} from its extension`, {
      where: path,
      // callers decide whether a format option exists (and what it is called); a file name always works
      hint: `give the file one of the extensions ${Object.keys(EXTENSIONS).join(' ')} (e.g. copy it to data.csv)`,
    });
  }
  return { format: byExt.format, delimiter: opts.delimiter ?? byExt.delimiter };
}

async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new IntentOpsError('not_found', `no such file: ${path}`, {
        where: path,
        hint: 'check the path; relative paths are resolved from the current directory',
        cause: err,
      });
    }
    if (code === 'EISDIR') {
      throw new IntentOpsError('invalid_input', `${path} is a directory, not a data file`, { where: path, cause: err });
    }
    if (code === 'EACCES' || code === 'EPERM') {
      throw new IntentOpsError('invalid_input', `permission denied reading ${path}`, {
        where: path,
        hint: 'check the file permissions',
        cause: err,
      });
    }
    throw new IntentOpsError('unavailable', `cannot read ${path}: ${(err as Error).message}`, { where: path, cause: err });
  }
}
