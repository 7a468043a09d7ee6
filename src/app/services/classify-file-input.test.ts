import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rejection, tempDir } from '../../../test/helpers/sample.js';
import { inputIdentity, readCsvHeader, readInput, streamFormat, type InputOptions, type InputRecord } from './classify-file-input.js';

const OPTS: InputOptions = { format: 'csv', textCol: 'text', idCol: 'id', idColExplicit: false, maxTextLength: 50 };

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function csvFile(content: string | Buffer, o: Partial<InputOptions> = {}) {
  const path = join(tempDir(), 'in.csv');
  writeFileSync(path, content);
  const h = await readCsvHeader(path, (await inputIdentity(path)).head, o.delimiter);
  const csv = { columns: h.columns, delimiter: h.delimiter, headerLine: h.line };
  const read = (from = { offset: h.end, line: h.line }) => all(readInput(path, from, { ...OPTS, ...o }, csv));
  return { path, h, read };
}

async function jsonlFile(content: string | Buffer, o: Partial<InputOptions> = {}) {
  const path = join(tempDir(), 'in.jsonl');
  writeFileSync(path, content);
  const read = (from = { offset: 0, line: 0 }) => all(readInput(path, from, { ...OPTS, format: 'jsonl', ...o }));
  return { path, read };
}

/** Resuming just past any record yields exactly the records after it. */
async function expectResumable(records: InputRecord[], read: (from: { offset: number; line: number }) => Promise<InputRecord[]>) {
  for (let k = 0; k < records.length; k++) {
    expect(await read({ offset: records[k].end, line: records[k].lastLine })).toEqual(records.slice(k + 1));
  }
}

describe('streaming CSV input', () => {
  it('reads records with start lines (quoted multi-line fields, blank lines, CRLF, BOM) and ids', async () => {
    const f = await csvFile('\uFEFFid;text;channel\r\nA-1;hello there;mail\r\n\r\nA-2;"two\nlines";chat\r\n;no id here;web\r\nA-4;"say ""hi""";web');
    expect(f.h).toMatchObject({ columns: ['id', 'text', 'channel'], delimiter: ';', line: 1 });
    const recs = await f.read();
    expect(recs.map((r) => [r.id, r.line, r.lastLine, r.text])).toEqual([
      ['A-1', 2, 2, 'hello there'],
      ['A-2', 4, 5, 'two\nlines'],
      ['6', 6, 6, 'no id here'],
      ['A-4', 7, 7, 'say "hi"'],
    ]);
    await expectResumable(recs, f.read);
  });

  it('marks unusable rows instead of failing: wrong field count, empty text, text over the limit', async () => {
    const f = await csvFile(`id,text\n1,fine\n2,too,many\n3,   \n4,${'x'.repeat(51)}\n5,"a, b"\n`);
    const recs = await f.read();
    expect(recs.map((r) => [r.id, r.error?.code])).toEqual([
      ['1', undefined],
      ['2', 'field_count'],
      ['3', 'empty_text'],
      ['4', 'text_too_long'],
      ['5', undefined],
    ]);
    expect(recs[1].error!.message).toMatch(/expected 2 fields as in the header, found 3/);
    expect(recs[3].error!.message).toMatch(/51 characters; the limit is 50/);
    await expectResumable(recs, f.read);
  });

  it('uses line numbers as ids without an id column, and insists on an id column that was asked for', async () => {
    const f = await csvFile('text\nfirst\nsecond\n');
    expect((await f.read()).map((r) => r.id)).toEqual(['2', '3']);
    const g = await csvFile('text\nfirst\n', { idCol: 'ticket', idColExplicit: true });
    const err = await rejection(g.read());
    expect(err.code).toBe('invalid_input');
    expect(err.message).toMatch(/no id column "ticket"; the columns are: "text"/);
    const h = await csvFile('message\nfirst\n');
    expect((await rejection(h.read())).message).toMatch(/no text column "text"; the columns are: "message"/);
  });

  it('an empty file has no header: invalid_input', async () => {
    const path = join(tempDir(), 'empty.csv');
    writeFileSync(path, '');
    const err = await rejection(readCsvHeader(path, Buffer.alloc(0)));
    expect(err.message).toMatch(/is empty: a CSV input needs a header line/);
  });
});

describe('streaming JSON Lines input', () => {
  it('reads objects with line numbers and ids; bad lines become error records; CRLF, blank lines and no final newline are fine', async () => {
    const bad = Buffer.from('{"id":"u","text":"caf\xe9"}\n', 'latin1');
    const f = await jsonlFile(Buffer.concat([Buffer.from('\uFEFF{"id":"a","text":"hello"}\r\n\r\n{"id":7,"text":"num id"}\n{oops\n[1,2]\n{"body":"x"}\n'), bad, Buffer.from('{"text":"   "}\n{"text":"last one"}')]));
    const recs = await f.read();
    expect(recs.map((r) => [r.id, r.line, r.text ?? r.error!.code])).toEqual([
      ['a', 1, 'hello'],
      ['7', 3, 'num id'],
      ['4', 4, 'invalid_json'],
      ['5', 5, 'not_an_object'],
      ['6', 6, 'missing_text'],
      ['7', 7, 'invalid_utf8'],
      ['8', 8, 'empty_text'],
      ['9', 9, 'last one'],
    ]);
    expect(recs[4].error!.message).toMatch(/no field "text" \(fields: "body"\); pass --text-col/);
    await expectResumable(recs, f.read);
  });
});

describe('streamFormat', () => {
  it('goes by extension or --format, and explains what cannot be streamed', async () => {
    expect(streamFormat('a.tsv', undefined, 'input')).toEqual({ format: 'csv', delimiter: '\t' });
    expect(streamFormat('a.ndjson', undefined, 'output')).toEqual({ format: 'jsonl' });
    expect(streamFormat('a.txt', 'jsonl', 'input')).toEqual({ format: 'jsonl' });
    expect(() => streamFormat('a.json', undefined, 'input')).toThrow(/cannot tell the input format/);
    try {
      streamFormat('a.json', undefined, 'input');
    } catch (e) {
      expect((e as { hint: string }).hint).toMatch(/jq -c/);
    }
    expect(() => streamFormat('a.csv', 'xml', 'output')).toThrow(/unknown output format "xml"/);
    expect((await rejection(inputIdentity(join(tempDir(), 'missing.csv')))).code).toBe('not_found');
  });
});
