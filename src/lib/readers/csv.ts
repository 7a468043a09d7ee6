import { parse } from 'csv-parse/sync';
import type { CsvError } from 'csv-parse/sync';
import type { RawRow } from '../../core/dataset/index.js';
import { IntentOpsError } from '../../core/errors.js';
import { resolveColumn } from './columns.js';
import { countLineBreaks, firstBadIn } from './decode.js';
import type { ParseInput, ReadResult } from './types.js';

/** Sniffing candidates in order of preference when counts tie. */
export const DELIMITER_CANDIDATES: readonly string[] = Object.freeze([',', ';', '\t', '|']);

const LEADING_BREAKS = /^(?:\r\n|\r|\n)+/;
const TRAILING_BREAK = /(?:\r\n|\r|\n)$/;

/**
 * Parse CSV / TSV with a header line. Line numbers are recomputed from each record's raw text, so a
 * record with a quoted multi-line field reports the line it starts on, and blank lines are counted.
 */
export function parseCsv({ decoded, file, textCol, labelCol, delimiter }: ParseInput): ReadResult {
  const { text, badLines } = decoded;
  if (text.trim() === '') return { rows: [], format: 'csv', delimiter: delimiter ?? ',' };
  const delim = delimiter ?? sniffDelimiter(firstLine(text));
  checkDelimiter(delim);

  let records: { record: string[]; raw: string }[];
  try {
    records = parse(text, {
      delimiter: delim,
      raw: true,
      skip_empty_lines: true,
      relax_column_count: true, // counted below, with our own line numbers
      relax_quotes: true, // customer messages contain stray quotes: `my "order" is late`
    }) as unknown as { record: string[]; raw: string }[];
  } catch (err) {
    const e = err as CsvError;
    if (e.code === 'CSV_QUOTE_NOT_CLOSED') {
      const opened = unclosedQuoteLine(text, delim);
      throw new IntentOpsError('invalid_input', `a quoted field opened on line ${opened} is never closed`, {
        where: `${file}:${opened}`,
        hint: 'close the quote at the end of the field, or double a quote that belongs to the text: "say ""hi"""',
        cause: err,
      });
    }
    const line = typeof e.lines === 'number' ? e.lines : undefined;
    throw new IntentOpsError('invalid_input', `cannot parse CSV: ${e.message}`, {
      where: line === undefined ? file : `${file}:${line}`,
      hint: 'a field that contains the delimiter, a quote or a newline must be quoted, with inner quotes doubled: "say ""hi"""',
      cause: err,
    });
  }

  const rows: RawRow[] = [];
  let consumed = 0; // line breaks before the current record
  let header: string[] | undefined;
  let textIdx = 0;
  let labelIdx = 0;
  for (const { record, raw } of records) {
    const leading = raw.match(LEADING_BREAKS)?.[0] ?? '';
    const start = consumed + countLineBreaks(leading) + 1;
    const end = start + countLineBreaks(raw.slice(leading.length).replace(TRAILING_BREAK, ''));
    consumed += countLineBreaks(raw);
    if (record.length === 1 && record[0].trim() === '') continue; // whitespace-only line

    if (!header) {
      header = record;
      const bad = firstBadIn(badLines, start, end);
      if (bad) {
        throw new IntentOpsError('invalid_input', 'the header line is not valid UTF-8', {
          where: `${file}:${bad.line}`,
          hint: 're-save the file as UTF-8',
        });
      }
      textIdx = resolveColumn(header, textCol, 'text', `${file}:${start}`);
      labelIdx = resolveColumn(header, labelCol, 'label', `${file}:${start}`);
      continue;
    }
    if (record.length !== header.length) {
      throw new IntentOpsError(
        'invalid_input',
        `expected ${header.length} fields as in the header, found ${record.length} (delimiter ${describe(delim)})`,
        {
          where: `${file}:${start}`,
          hint: `quote fields that contain ${describe(delim)}, e.g. "hello${delim} world"; or pass the right delimiter`,
        },
      );
    }
    const bad = firstBadIn(badLines, start, end);
    rows.push(
      bad
        ? { text: undefined, label: record[labelIdx], line: start, file, invalidUtf8: bad }
        : { text: record[textIdx], label: record[labelIdx], line: start, file },
    );
  }
  return { rows, format: 'csv', delimiter: delim };
}

/**
 * The line on which the last quoted field starts when the text ends inside it (the parser only
 * knows where it gave up: the end of the file). A quote opens a field only at the start of one,
 * as with `relax_quotes`; inside, `""` is a literal quote.
 *
 * @example
 * unclosedQuoteLine('text,label\nok,a\n"broken,a\nmore,a\n', ','); // 3
 */
export function unclosedQuoteLine(text: string, delim: string): number {
  let line = 1;
  let openedAt = 1;
  let quoted = false;
  let fieldStart = true;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    const crlf = ch === '\r' && text[i + 1] === '\n';
    const br = ch === '\n' || (ch === '\r' && !crlf);
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') i++;
        else quoted = false;
      } else if (br) line++;
      continue;
    }
    if (ch === '"' && fieldStart) {
      quoted = true;
      openedAt = line;
    }
    if (br) line++;
    fieldStart = br || crlf || ch === delim;
  }
  return openedAt;
}

/**
 * The candidate occurring most often outside quotes in the header line; `,` when none occurs.
 *
 * @example
 * sniffDelimiter('text;label'); // ';'
 */
export function sniffDelimiter(headerLine: string): string {
  const counts = new Map(DELIMITER_CANDIDATES.map((d) => [d, 0]));
  let quoted = false;
  for (const ch of headerLine) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && counts.has(ch)) counts.set(ch, counts.get(ch)! + 1);
  }
  let best = DELIMITER_CANDIDATES[0];
  for (const d of DELIMITER_CANDIDATES) if (counts.get(d)! > counts.get(best)!) best = d;
  return best;
}

function firstLine(text: string): string {
  const body = text.replace(LEADING_BREAKS, '');
  const m = /\r\n|\r|\n/.exec(body);
  return m ? body.slice(0, m.index) : body;
}

function checkDelimiter(d: string): void {
  if (d.length !== 1 || d === '"' || d === '\n' || d === '\r') {
    throw new IntentOpsError('invalid_input', `invalid CSV delimiter ${describe(d)}`, {
      where: 'delimiter',
      hint: 'use a single character such as "," ";" "\\t" or "|"',
    });
  }
}

function describe(d: string): string {
  return d === '\t' ? 'tab' : JSON.stringify(d);
}
