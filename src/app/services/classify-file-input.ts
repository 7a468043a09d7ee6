import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse } from 'csv-parse';
import { IntentOpsError } from '../../core/errors.js';
import { sniffDelimiter } from '../../lib/readers/index.js';
import { resolveColumn } from '../../lib/readers/columns.js';
import { countLineBreaks } from '../../lib/readers/decode.js';

/*
 * Streaming readers for `classify-file`: one record at a time with the byte offset just past it,
 * so a run can checkpoint "consumed up to byte N, line L" and a later run can seek there
 * (createReadStream({ start })) instead of re-reading the file. Memory stays constant whatever
 * the file size. The whole-file readers in src/lib/readers serve training, which needs
 * every row at once; these share their delimiter sniffing and column matching.
 */

export type StreamFormat = 'csv' | 'jsonl';

/** One input record: its text and id, or why it cannot be classified. */
export interface InputRecord {
  /** 1-based line the record starts on. */
  readonly line: number;
  /** The last line of the record (a quoted CSV field may span lines). */
  readonly lastLine: number;
  /** Byte offset just past the record: where a resumed run starts. */
  readonly end: number;
  readonly id?: string;
  readonly text?: string;
  /** Set when the record is unusable (bad JSON, wrong field count, empty text…): `code: message`. */
  readonly error?: { readonly code: string; readonly message: string };
}

/** Where reading starts: the beginning (offset 0) or just past a checkpointed record. */
export interface InputPosition {
  readonly offset: number;
  /** Lines wholly consumed before `offset`. */
  readonly line: number;
}

export interface InputOptions {
  readonly format: StreamFormat;
  readonly textCol: string;
  /** Id column/field; when absent from the file the line number is the id. */
  readonly idCol: string;
  /** Whether idCol was chosen explicitly (then it must exist). */
  readonly idColExplicit: boolean;
  readonly delimiter?: string;
  readonly maxTextLength: number;
}

const FORMATS: Readonly<Record<string, { format: StreamFormat; delimiter?: string }>> = Object.freeze({
  '.csv': { format: 'csv' },
  '.tsv': { format: 'csv', delimiter: '\t' },
  '.jsonl': { format: 'jsonl' },
  '.ndjson': { format: 'jsonl' },
});

/** The format (and implied delimiter) of a path, from --format or its extension. */
export function streamFormat(path: string, given: string | undefined, role: 'input' | 'output'): { format: StreamFormat; delimiter?: string } {
  if (given !== undefined) {
    if (given === 'csv' || given === 'jsonl') return { format: given, ...(FORMATS[extname(path).toLowerCase()]?.format === given ? { delimiter: FORMATS[extname(path).toLowerCase()].delimiter } : {}) };
    throw new IntentOpsError('invalid_input', `unknown ${role} format ${JSON.stringify(given)}`, { where: `--${role === 'input' ? 'format' : 'out-format'}`, hint: 'use csv or jsonl' });
  }
  const byExt = FORMATS[extname(path).toLowerCase()];
  if (byExt) return byExt;
  const json = extname(path).toLowerCase() === '.json';
  throw new IntentOpsError('invalid_input', `cannot tell the ${role} format of ${path} from its extension`, {
    where: path,
    hint: json ? "a JSON array cannot be streamed: convert it to JSON Lines (jq -c '.[]' IN.json > IN.jsonl)" : `use ${Object.keys(FORMATS).join(' ')} or pass --${role === 'input' ? 'format' : 'out-format'} csv|jsonl`,
  });
}

/** Size and the sha-256 of the first 64 KiB: enough to notice a different input file on resume. */
export async function inputIdentity(path: string): Promise<{ size: number; head: Buffer }> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new IntentOpsError('not_found', `no such file: ${path}`, { where: path, hint: 'check the path; relative paths are resolved from the current directory', cause: e });
    throw new IntentOpsError('invalid_input', `cannot read ${path}: ${code ?? (e as Error).message}`, { where: path, cause: e });
  }
  try {
    const s = await stat(path);
    if (s.isDirectory()) throw new IntentOpsError('invalid_input', `${path} is a directory, not a data file`, { where: path });
    const head = Buffer.alloc(Math.min(65_536, s.size));
    await fh.read(head, 0, head.length, 0);
    return { size: s.size, head };
  } finally {
    await fh.close();
  }
}

/** The CSV header: its columns, the delimiter (given or sniffed) and the byte offset and line just past it. */
export async function readCsvHeader(path: string, head: Buffer, given?: string): Promise<{ columns: string[]; delimiter: string; end: number; line: number }> {
  const text = head.toString('utf8').replace(/^\uFEFF/, '').replace(/^(?:\r\n|\r|\n)+/, '');
  const delimiter = given ?? sniffDelimiter(text.split(/\r\n|\r|\n/, 1)[0] ?? '');
  for await (const r of csvRecords(path, { offset: 0, line: 0 }, delimiter, true)) {
    return { columns: r.record.map(String), delimiter, end: r.end, line: r.lastLine };
  }
  throw new IntentOpsError('invalid_input', `${path} is empty: a CSV input needs a header line`, { where: path, hint: 'the first line names the columns, e.g. id,text' });
}

interface CsvRecord {
  readonly record: string[];
  readonly line: number;
  readonly lastLine: number;
  readonly end: number;
}

/** CSV records from a position; lines and offsets are absolute. */
async function* csvRecords(path: string, from: InputPosition, delimiter: string, bom: boolean): AsyncGenerator<CsvRecord> {
  const parser = createReadStream(path, { start: from.offset, highWaterMark: 1 << 20 }).pipe(
    parse({ delimiter, bom, info: true, raw: true, relax_quotes: true, relax_column_count: true, skip_empty_lines: true }),
  );
  try {
    for await (const r of parser as AsyncIterable<{ record: string[]; raw: string; info: { bytes: number; lines: number } }>) {
      const body = r.raw.replace(/^(?:\r\n|\r|\n)+/, '').replace(/(?:\r\n|\r|\n)$/, '');
      const lastLine = from.line + r.info.lines;
      if (r.record.length === 1 && r.record[0].trim() === '' && body.trim() === '') continue;
      yield { record: r.record, line: lastLine - countLineBreaks(body), lastLine, end: from.offset + r.info.bytes };
    }
  } catch (e) {
    if (e instanceof IntentOpsError) throw e;
    const line = (e as { lines?: number }).lines;
    throw new IntentOpsError('invalid_input', `cannot parse CSV: ${(e as Error).message}`, {
      where: line === undefined ? path : `${path}:${from.line + line}`,
      hint: 'a field that contains the delimiter, a quote or a newline must be quoted, with inner quotes doubled: "say ""hi"""',
      cause: e,
    });
  } finally {
    parser.destroy();
  }
}

/** Input records from `from` on (past the header for CSV). */
export async function* readInput(path: string, from: InputPosition, o: InputOptions, csv?: { columns: string[]; delimiter: string; headerLine: number }): AsyncGenerator<InputRecord> {
  if (o.format === 'jsonl') {
    yield* jsonlRecords(path, from, o);
    return;
  }
  const { columns, delimiter, headerLine } = csv!;
  const where = `${path}:${headerLine}`;
  const textIdx = resolveColumn(columns, o.textCol, 'text', where);
  let idIdx = -1;
  try {
    idIdx = resolveColumn(columns, o.idCol, 'label', where);
  } catch (e) {
    if (o.idColExplicit) throw new IntentOpsError('invalid_input', `no id column ${JSON.stringify(o.idCol)}; the columns are: ${columns.map((c) => JSON.stringify(c)).join(', ')}`, { where, hint: 'pass --id-col with one of them, or leave it out to use line numbers as ids', cause: e });
  }
  for await (const r of csvRecords(path, from, delimiter, from.offset === 0)) {
    const base = { line: r.line, lastLine: r.lastLine, end: r.end, id: idIdx >= 0 && r.record[idIdx]?.trim() ? r.record[idIdx].trim() : String(r.line) };
    if (r.record.length !== columns.length) {
      yield { ...base, error: { code: 'field_count', message: `expected ${columns.length} fields as in the header, found ${r.record.length} (quote fields that contain ${delimiter === '\t' ? 'tabs' : JSON.stringify(delimiter)})` } };
      continue;
    }
    yield checkText(base, r.record[textIdx], o);
  }
}

async function* jsonlRecords(path: string, from: InputPosition, o: InputOptions): AsyncGenerator<InputRecord> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let pending: Buffer = Buffer.alloc(0);
  let pos = from.offset; // byte offset of pending[0]
  let line = from.line;
  let first = from.offset === 0;
  const one = (buf: Buffer, start: number, stop: number): InputRecord | undefined => {
    line++;
    const end = pos + stop + (stop < buf.length ? 1 : 0);
    let bytes = buf.subarray(start, stop);
    if (bytes.length && bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, -1);
    if (first && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
    first = false;
    const base = { line, lastLine: line, end, id: String(line) };
    let s: string;
    try {
      s = decoder.decode(bytes);
    } catch {
      return { ...base, error: { code: 'invalid_utf8', message: 'the line is not valid UTF-8' } };
    }
    if (s.trim() === '') return undefined;
    let v: unknown;
    try {
      v = JSON.parse(s);
    } catch (e) {
      return { ...base, error: { code: 'invalid_json', message: `invalid JSON: ${(e as Error).message}` } };
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return { ...base, error: { code: 'not_an_object', message: 'expected a JSON object such as {"id": "1", "text": "where is my order"}' } };
    const obj = v as Record<string, unknown>;
    const id = obj[o.idCol];
    const withId = { ...base, id: typeof id === 'string' && id.trim() ? id.trim() : typeof id === 'number' ? String(id) : base.id };
    if (!(o.textCol in obj)) return { ...withId, error: { code: 'missing_text', message: `no field ${JSON.stringify(o.textCol)} (fields: ${Object.keys(obj).map((k) => JSON.stringify(k)).join(', ') || 'none'}); pass --text-col to pick another` } };
    return checkText(withId, obj[o.textCol], o);
  };
  for await (const chunk of createReadStream(path, { start: from.offset, highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    const buf = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    let start = 0;
    for (let nl = buf.indexOf(10, start); nl >= 0; nl = buf.indexOf(10, start)) {
      const r = one(buf, start, nl);
      if (r) yield r;
      start = nl + 1;
    }
    pending = buf.subarray(start);
    pos += start;
  }
  if (pending.length) {
    const r = one(pending, 0, pending.length);
    if (r) yield r;
  }
}

function checkText(base: Omit<InputRecord, 'text' | 'error'>, text: unknown, o: InputOptions): InputRecord {
  if (typeof text !== 'string') return { ...base, error: { code: 'missing_text', message: `${o.textCol} must be a string, got ${text === null ? 'null' : typeof text}` } };
  if (text.trim() === '') return { ...base, error: { code: 'empty_text', message: `${o.textCol} is empty` } };
  if (text.length > o.maxTextLength) return { ...base, error: { code: 'text_too_long', message: `${o.textCol} is ${text.length} characters; the limit is ${o.maxTextLength} (data.maxTextLength)` } };
  return { ...base, text };
}
