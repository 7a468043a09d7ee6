import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { IntentOpsError } from '../../core/errors.js';
import { readRecords } from './read-records.js';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { rejection, tempDir } from '../../../test/helpers/sample.js';

const DIR = fileURLToPath(new URL('../../../test/fixtures/data/', import.meta.url));
const fx = (name: string) => `${DIR}${name}`;


const plain = (rows: { text: unknown; label: unknown; line: number }[]) =>
  rows.map(({ text, label, line }) => ({ text, label, line }));

describe('readRecords: CSV', () => {
  it('sniffs ";" from the header and keeps quoted delimiters inside fields', async () => {
    const { rows, format, delimiter } = await readRecords(fx('semicolon.csv'));
    expect(format).toBe('csv');
    expect(delimiter).toBe(';');
    expect(plain(rows)).toEqual([
      { text: 'where is my order', label: 'track_order', line: 2 },
      { text: 'refund; please', label: 'refund', line: 3 },
      { text: 'hello, anyone there?', label: 'greeting', line: 4 },
    ]);
    expect(rows[0].file).toBe(fx('semicolon.csv'));
  });

  it('reads .tsv as tab-separated even when texts contain commas', async () => {
    const { rows, delimiter } = await readRecords(fx('tab.tsv'));
    expect(delimiter).toBe('\t');
    expect(plain(rows)).toEqual([
      { text: 'where is my order, please', label: 'track_order', line: 2 },
      { text: 'cancel it', label: 'cancel', line: 3 },
    ]);
  });

  it('reports the first line of records with quoted newlines, counting blank lines', async () => {
    const { rows } = await readRecords(fx('multiline.csv'));
    expect(plain(rows)).toEqual([
      { text: 'hi', label: 'greeting', line: 2 },
      { text: 'my parcel\nnever\narrived', label: 'track_order', line: 3 },
      { text: 'she said "hello"', label: 'greeting', line: 7 },
      { text: 'two\nlines', label: 'other', line: 8 },
    ]);
  });

  it('strips the UTF-8 BOM and handles CRLF line endings', async () => {
    const { rows } = await readRecords(fx('bom-crlf.csv'));
    expect(plain(rows)).toEqual([
      { text: 'where is my order', label: 'track_order', line: 2 },
      { text: 'cancel my plan', label: 'cancel', line: 3 },
    ]);
  });

  it('uses custom column names', async () => {
    const { rows } = await readRecords(fx('custom-cols.csv'), { textCol: 'utterance', labelCol: 'intent' });
    expect(plain(rows)).toEqual([
      { text: 'where is my order', label: 'track_order', line: 2 },
      { text: 'cancel my plan', label: 'cancel', line: 3 },
    ]);
  });

  it('names the existing columns when one is missing', async () => {
    const err = await rejection(readRecords(fx('missing-col.csv')));
    expect(err.code).toBe('invalid_input');
    expect(err.message).toBe('no text column "text"; the columns are: "message", "intent"');
    expect(err.where).toBe(`${fx('missing-col.csv')}:1`);
    expect(err.hint).toContain('textCol');
  });

  it('flags invalid UTF-8 per record with file:line instead of failing', async () => {
    const { rows } = await readRecords(fx('invalid-utf8.csv'));
    expect(rows.map((r) => [r.line, r.text, r.invalidUtf8])).toEqual([
      [2, 'where is my order', undefined],
      [3, undefined, { line: 3, column: 4 }],
      [4, 'naïve question', undefined],
      [5, undefined, { line: 5, column: 7 }],
    ]);
    expect(rows[1].label).toBe('order_drink');
  });

  it('fails on a row whose field count differs from the header, with its line', async () => {
    const err = await rejection(readRecords(fx('wrong-field-count.csv')));
    expect(err.message).toBe('expected 2 fields as in the header, found 3 (delimiter ",")');
    expect(err.where).toBe(`${fx('wrong-field-count.csv')}:3`);
  });

  it('reports an unclosed quote at the line it was opened on, not where the file ends', async () => {
    const err = await rejection(readRecords(fx('unclosed-quote.csv')));
    expect(err.code).toBe('invalid_input');
    expect(err.where).toBe(`${fx('unclosed-quote.csv')}:3`);
    expect(err.message).toBe('a quoted field opened on line 3 is never closed');
    expect(err.hint).toMatch(/close the quote/);
  });

  it('finds the opening line past closed, escaped and multi-line quoted fields and CRLF line ends', async () => {
    const path = join(tempDir(), 'late.csv');
    await writeFile(path, 'text,label\r\n"two\r\nlines",a\r\n"say ""hi""",b\r\nstray "quote",c\r\nok,"d\r\nnever closed\r\nmore,e\r\n');
    const err = await rejection(readRecords(path));
    expect(err.where).toBe(`${path}:6`);
  });

  it('fails an empty file at line 1 with the shape it expects', async () => {
    const err = await rejection(readRecords(fx('empty.csv')));
    expect(err.code).toBe('invalid_input');
    expect(err.where).toBe(`${fx('empty.csv')}:1`);
    expect(err.message).toBe('the file is empty');
    expect(err.hint).toContain('a header line "text,label"');
  });

  it('fails a header-only CSV at the line where the first example belongs', async () => {
    const path = join(tempDir(), 'header-only.csv');
    await writeFile(path, 'utterance,intent\n\n');
    const err = await rejection(readRecords(path, { textCol: 'utterance', labelCol: 'intent' }));
    expect(err.where).toBe(`${path}:2`);
    expect(err.message).toBe('the file has a header line but no data rows');
    expect(err.hint).toContain('"utterance,intent"');
  });

  it('fails an empty JSON array and a blank JSON Lines file at line 1', async () => {
    const dir = tempDir();
    await writeFile(join(dir, 'none.json'), '[]\n');
    await writeFile(join(dir, 'blank.jsonl'), '\n  \n');
    expect((await rejection(readRecords(join(dir, 'none.json')))).message).toBe('the file has an empty array');
    const blank = await rejection(readRecords(join(dir, 'blank.jsonl')));
    expect([blank.where, blank.message]).toEqual([`${join(dir, 'blank.jsonl')}:1`, 'the file is empty (only whitespace)']);
  });
});

describe('readRecords: JSON Lines', () => {
  it('reads one object per line, skipping blank lines', async () => {
    const { rows, format } = await readRecords(fx('good.jsonl'));
    expect(format).toBe('jsonl');
    expect(plain(rows)).toEqual([
      { text: 'where is my order', label: 'track_order', line: 1 },
      { text: 'cancel my plan', label: 'cancel', line: 3 },
      { text: 'hi', label: 'greeting', line: 5 },
    ]);
  });

  it('fails on a bad JSON line with file:line', async () => {
    const err = await rejection(readRecords(fx('bad-line.jsonl')));
    expect(err.code).toBe('invalid_input');
    expect(err.where).toBe(`${fx('bad-line.jsonl')}:3`);
    expect(err.message).toMatch(/^invalid JSON: /);
  });

  it('uses custom field names and reports missing ones with those that exist', async () => {
    const { rows } = await readRecords(fx('custom-fields.jsonl'), { textCol: 'utterance', labelCol: 'intent' });
    expect(plain(rows)).toEqual([
      { text: 'where is my order', label: 'track_order', line: 1 },
      { text: 'hi', label: 'greeting', line: 2 },
    ]);
    const err = await rejection(readRecords(fx('custom-fields.jsonl')));
    expect(err.message).toBe('no text column "text"; the columns are: "utterance", "intent"');
  });

  it('flags invalid UTF-8 lines', async () => {
    const { rows } = await readRecords(fx('invalid-utf8.jsonl'));
    expect(rows[1]).toEqual({
      text: undefined,
      label: 'b',
      line: 2,
      file: fx('invalid-utf8.jsonl'),
      invalidUtf8: { line: 2, column: 13 },
    });
  });

  it('honours an explicit format over the extension', async () => {
    const { rows, format } = await readRecords(fx('good.jsonl'), { format: 'jsonl' });
    expect(format).toBe('jsonl');
    expect(rows).toHaveLength(3);
  });
});

describe('readRecords: JSON array', () => {
  it('reads an array of objects with the line each object starts on', async () => {
    const { rows, format } = await readRecords(fx('array.json'));
    expect(format).toBe('json');
    expect(plain(rows)).toEqual([
      { text: 'where is my order', label: 'track_order', line: 2 },
      { text: 'cancel [my] plan, {now}', label: 'cancel', line: 3 },
      { text: 'say "hi"', label: 'greeting', line: 7 },
    ]);
  });

  it('reports the line of a syntax error', async () => {
    const err = await rejection(readRecords(fx('bad.json')));
    expect(err.where).toBe(`${fx('bad.json')}:3`);
    expect(err.message).toMatch(/^invalid JSON: /);
  });

  it('rejects a top-level object', async () => {
    const err = await rejection(readRecords(fx('object.json')));
    expect(err.message).toBe('expected a JSON array of objects, got an object');
  });
});

describe('readRecords: files and formats', () => {
  it('throws not_found with the path for a missing file', async () => {
    const path = fx('does-not-exist.csv');
    const err = await rejection(readRecords(path));
    expect(err.code).toBe('not_found');
    expect(err.where).toBe(path);
    expect(err.message).toContain(path);
  });

  it('lists the supported extensions for an unknown one', async () => {
    const err = await rejection(readRecords(fx('data.xlsx')));
    expect(err.code).toBe('invalid_input');
    expect(err.hint).toContain('.csv .tsv .jsonl .ndjson .json');
    // no caller offers a format flag for every command: the hint names only what always works
    expect(err.hint).not.toMatch(/pass the format/);
  });

  it('rejects an unknown explicit format with the valid ones', async () => {
    const err = await rejection(readRecords(fx('good.jsonl'), { format: 'xml' as never }));
    expect(err.hint).toBe('use one of: csv, jsonl, json');
  });
});
