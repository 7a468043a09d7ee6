import { describe, expect, it } from 'vitest';
import { IntentOpsError } from '../../core/errors.js';
import { parseCsv, sniffDelimiter } from './csv.js';
import { decodeUtf8 } from './decode.js';

const csv = (s: string, opts: { delimiter?: string; textCol?: string; labelCol?: string } = {}) =>
  parseCsv({ decoded: decodeUtf8(Buffer.from(s)), file: 'in.csv', textCol: 'text', labelCol: 'label', ...opts });

describe('sniffDelimiter', () => {
  it.each([
    ['text,label', ','],
    ['text;label', ';'],
    ['text\tlabel', '\t'],
    ['text|label|id', '|'],
    ['"a;b;c",label,id', ','], // delimiters inside quotes do not count
    ['text', ','],
  ])('%j -> %j', (header, expected) => {
    expect(sniffDelimiter(header)).toBe(expected);
  });
});

describe('parseCsv', () => {
  it('sniffs a tab delimiter from a .csv header', () => {
    const { rows, delimiter } = csv('text\tlabel\nhello, there\tgreeting\n');
    expect(delimiter).toBe('\t');
    expect(rows[0]).toMatchObject({ text: 'hello, there', label: 'greeting', line: 2 });
  });

  it('uses an explicit delimiter over the sniffed one', () => {
    const input = 'text, in words|label, final\na, b|c\n';
    expect(sniffDelimiter(input.split('\n')[0])).toBe(',');
    const { rows } = csv(input, { delimiter: '|', textCol: 'text, in words', labelCol: 'label, final' });
    expect(rows[0]).toMatchObject({ text: 'a, b', label: 'c' });
  });

  it('matches column names case-insensitively when unambiguous', () => {
    const { rows } = csv('Text,LABEL\nhi,greeting\n');
    expect(rows[0]).toMatchObject({ text: 'hi', label: 'greeting' });
  });

  it('accepts stray quotes inside unquoted fields', () => {
    const { rows } = csv('text,label\nmy "order" is late,track\n');
    expect(rows[0].text).toBe('my "order" is late');
  });

  it('skips whitespace-only lines but keeps counting them', () => {
    const { rows } = csv('text,label\n   \na,b\n');
    expect(rows).toEqual([{ text: 'a', label: 'b', line: 3, file: 'in.csv' }]);
  });

  it('counts lone CR line endings', () => {
    const { rows } = csv('text,label\r"x\ry",a\rz,b\r');
    expect(rows.map((r) => [r.text, r.line])).toEqual([
      ['x\ry', 2],
      ['z', 4],
    ]);
  });

  it('rejects a multi-character delimiter', () => {
    expect(() => csv('a,b\n', { delimiter: '::' })).toThrow(IntentOpsError);
  });

  it('rejects a header line that is not UTF-8', () => {
    const bytes = Buffer.concat([Buffer.from('te'), Buffer.from([0xff]), Buffer.from('xt,label\na,b\n')]);
    expect(() =>
      parseCsv({ decoded: decodeUtf8(bytes), file: 'in.csv', textCol: 'text', labelCol: 'label' }),
    ).toThrow('the header line is not valid UTF-8');
  });
});
