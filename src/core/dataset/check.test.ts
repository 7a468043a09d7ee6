import { describe, expect, it } from 'vitest';
import { checkDataset, hasErrors } from './check.js';
import type { CheckOptions, Finding, RawRow } from './types.js';

const FILE = 'intents.csv';
const row = (text: unknown, label: unknown, line: number, extra: Partial<RawRow> = {}): RawRow => ({
  text,
  label,
  line,
  file: FILE,
  ...extra,
});
/** Two healthy labels so that only the rule under test fires. */
const base = (): RawRow[] => [row('where is my order', 'track', 2), row('cancel my plan', 'cancel', 3)];
const check = (rows: RawRow[], opts: CheckOptions = {}) => checkDataset(rows, { minExamplesPerLabel: 1, ...opts });
const only = (findings: Finding[]) => {
  expect(findings).toHaveLength(1);
  return findings[0];
};

describe('checkDataset rules', () => {
  it('accepts a clean dataset and normalises text and labels', () => {
    const { examples, findings, report } = check([
      row('  where   is\tmy\u00a0order \n', ' track ', 2),
      row('Cafe\u0301 hours', 'hours', 3),
    ]);
    expect(findings).toEqual([]);
    expect(examples).toEqual([
      { text: 'where is my order', label: 'track', line: 2, file: FILE },
      { text: 'Caf\u00e9 hours', label: 'hours', line: 3, file: FILE },
    ]);
    expect(report).toEqual({
      rows: 2,
      kept: 2,
      labels: [
        { label: 'hours', count: 1 },
        { label: 'track', count: 1 },
      ],
      duplicatesDropped: 0,
      nearDuplicatesDropped: 0,
      conflicts: 0,
      errors: 0,
      warnings: 0,
    });
  });

  it('empty-text: whitespace-only text is an error and the row is dropped', () => {
    const { findings, examples } = check([...base(), row(' \t ', 'track', 4)]);
    expect(only(findings)).toMatchObject({
      severity: 'error',
      rule: 'empty-text',
      file: FILE,
      line: 4,
      message: 'text contains only whitespace',
    });
    expect(only(findings).hint).toBe('fill in the text or delete the row');
    expect(examples).toHaveLength(2);
  });

  it('empty-text: a missing text field', () => {
    expect(only(check([...base(), row(undefined, 'track', 9)]).findings)).toMatchObject({
      rule: 'empty-text',
      line: 9,
      message: 'text is missing',
    });
  });

  it('missing-label: empty and absent labels are errors', () => {
    const { findings } = check([...base(), row('hello', '  ', 4), row('hi', null, 5)]);
    expect(findings.map((f) => [f.rule, f.severity, f.line, f.message])).toEqual([
      ['missing-label', 'error', 4, 'label is empty'],
      ['missing-label', 'error', 5, 'label is missing'],
    ]);
  });

  it('invalid-utf8: reported at the bad line and column, row dropped', () => {
    const { findings, report } = check([...base(), row(undefined, 'x', 7, { invalidUtf8: { line: 8, column: 12 } })]);
    expect(only(findings)).toMatchObject({
      severity: 'error',
      rule: 'invalid-utf8',
      file: FILE,
      line: 8,
      message: 'invalid UTF-8 byte sequence at byte column 12 (on line 8 of this record); the row is skipped',
    });
    expect(report.kept).toBe(2);
  });

  it('invalid-type: non-string text and structured labels; numeric labels are accepted', () => {
    const { findings, examples } = check([...base(), row(42, 'track', 4), row('hi', { a: 1 }, 5), row('yo', 7, 6)]);
    expect(findings.map((f) => [f.rule, f.line, f.message])).toEqual([
      ['invalid-type', 4, 'text must be a string, got a number (42)'],
      ['invalid-type', 5, 'label must be a string or number, got an object'],
    ]);
    expect(examples.at(-1)).toMatchObject({ text: 'yo', label: '7' });
  });

  it('text-too-long: counts code points after normalisation', () => {
    const emoji = '😀'.repeat(10); // 20 UTF-16 units, 10 code points
    const { findings } = check([row('hi', 'a', 2), row('yo', 'b', 3), row(emoji, 'a', 4), row(`${emoji}x`, 'b', 5)], {
      maxTextLength: 10,
    });
    expect(only(findings)).toMatchObject({
      severity: 'error',
      rule: 'text-too-long',
      line: 5,
      message: 'text is 11 characters long (maximum 10)',
    });
  });

  it('text-too-long: defaults to 5000', () => {
    const { findings } = check([...base(), row('a'.repeat(5001), 'track', 4)]);
    expect(only(findings).message).toBe('text is 5001 characters long (maximum 5000)');
  });

  it('duplicate: the later exact copy (after normalisation) is a warning and dropped', () => {
    const { findings, examples, report } = check([...base(), row('where  is my order ', 'track', 10)]);
    expect(only(findings)).toMatchObject({
      severity: 'warning',
      rule: 'duplicate',
      file: FILE,
      line: 10,
      message: 'duplicate of line 2 ("where is my order", label "track"); dropped',
    });
    expect(examples.map((e) => e.line)).toEqual([2, 3]);
    expect(report.duplicatesDropped).toBe(1);
  });

  it('duplicate: names the other file when the copy comes from elsewhere', () => {
    const { findings } = check([...base(), { ...row('cancel my plan', 'cancel', 4), file: 'more.csv' }]);
    expect(only(findings).message).toBe('duplicate of intents.csv:3 ("cancel my plan", label "cancel"); dropped');
    expect(only(findings).file).toBe('more.csv');
  });

  it('near-duplicate: same text ignoring case, punctuation and spacing, same label', () => {
    const { findings, examples, report } = check([...base(), row("Where is my ORDER?!", 'track', 6)]);
    expect(only(findings)).toMatchObject({
      severity: 'warning',
      rule: 'near-duplicate',
      line: 6,
      message:
        'near-duplicate of line 2: "Where is my ORDER?!" vs "where is my order" differ only in case, ' +
        'punctuation or spacing (label "track"); dropped',
    });
    expect(examples).toHaveLength(2);
    expect(report.nearDuplicatesDropped).toBe(1);
  });

  it('conflict: the same text under two labels is an error naming both lines and labels; all copies dropped', () => {
    const { findings, examples, report } = check([
      ...base(),
      row('hello', 'greeting', 4),
      row('Where is my order', 'complaint', 5),
    ]);
    expect(only(findings)).toMatchObject({
      severity: 'error',
      rule: 'conflict',
      file: FILE,
      line: 5,
      message: '"Where is my order" is labelled "complaint" here but "track" at line 2 ("where is my order"); all copies are dropped',
    });
    expect(examples.map((e) => e.text)).toEqual(['cancel my plan', 'hello']);
    expect(report.conflicts).toBe(1);
  });

  it('near-conflict: look-alike texts (punctuation) under two labels are a warning; all copies dropped', () => {
    const { findings, examples, report } = check([
      ...base(),
      row('hello', 'greeting', 4),
      row('where is my order?', 'complaint', 5),
    ]);
    expect(only(findings)).toMatchObject({
      severity: 'warning',
      rule: 'near-conflict',
      file: FILE,
      line: 5,
      message:
        '"where is my order?" is labelled "complaint" here but "track" at line 2 ("where is my order"); all copies are dropped',
    });
    expect(examples.map((e) => e.text)).toEqual(['cancel my plan', 'hello']);
    expect(report.conflicts).toBe(1);
  });

  it('rare-label: a warning at the first example of the label', () => {
    const rows = [
      ...['a', 'b', 'c'].map((t, i) => row(`track ${t}`, 'track', i + 2)),
      row('cancel one', 'cancel', 5),
      row('cancel two', 'cancel', 6),
    ];
    const { findings } = checkDataset(rows, { minExamplesPerLabel: 3 });
    expect(only(findings)).toMatchObject({
      severity: 'warning',
      rule: 'rare-label',
      file: FILE,
      line: 5,
      message: 'label "cancel" has only 2 examples (minimum 3)',
    });
  });

  it('rare-label: defaults to 5 examples', () => {
    const { findings } = checkDataset(base());
    expect(findings.map((f) => [f.rule, f.line, f.message])).toEqual([
      ['rare-label', 2, 'label "track" has only 1 example (minimum 5)'],
      ['rare-label', 3, 'label "cancel" has only 1 example (minimum 5)'],
    ]);
  });

  it('too-few-labels: a single label is an error about the whole file', () => {
    const { findings } = check([row('a', 'x', 2), row('b', 'x', 3)]);
    expect(only(findings)).toMatchObject({
      severity: 'error',
      rule: 'too-few-labels',
      file: FILE,
      line: 0,
      message: 'found 1 distinct label ("x") among 2 usable rows; at least 2 are needed',
    });
  });

  it('too-few-labels: an empty dataset', () => {
    expect(only(check([]).findings)).toMatchObject({
      rule: 'too-few-labels',
      file: '',
      message: 'found 0 distinct labels among 0 usable rows; at least 2 are needed',
    });
  });
});

describe('checkDataset options and summary', () => {
  it('strict turns warnings into errors', () => {
    const rows = [...base(), row('where is my order', 'track', 4)];
    const lax = check(rows);
    const strict = check(rows, { strict: true });
    expect(lax.findings[0]).toMatchObject({ rule: 'duplicate', severity: 'warning' });
    expect(hasErrors(lax.findings)).toBe(false);
    expect(strict.findings[0]).toMatchObject({ rule: 'duplicate', severity: 'error' });
    expect(hasErrors(strict.findings)).toBe(true);
    expect([lax.report.errors, lax.report.warnings, strict.report.errors, strict.report.warnings]).toEqual([0, 1, 1, 0]);
  });

  it('reports several problems on one row, sorted by line, and counts everything', () => {
    const rows = [
      row('b', 'y', 5),
      row('', '', 3),
      row('a', 'x', 2),
      row('A!', 'x', 6),
      row('b', 'y', 7),
      row('c', 'y', 8),
    ];
    const { findings, report } = check(rows);
    expect(findings.map((f) => `${f.line}:${f.rule}`)).toEqual([
      '3:empty-text',
      '3:missing-label',
      '6:near-duplicate',
      '7:duplicate',
    ]);
    expect(report).toMatchObject({
      rows: 6,
      kept: 3,
      labels: [
        { label: 'y', count: 2 },
        { label: 'x', count: 1 },
      ],
      duplicatesDropped: 1,
      nearDuplicatesDropped: 1,
      errors: 2,
      warnings: 2,
    });
  });
});

describe('keepDuplicates (evaluation data)', () => {
  it('reports duplicates but keeps every row', () => {
    const rows = [
      { text: 'where is my order', label: 'track', line: 2, file: 't.csv' },
      { text: 'where is my order', label: 'track', line: 3, file: 't.csv' },
      { text: 'Where is my order?', label: 'track', line: 4, file: 't.csv' },
      { text: 'cancel my plan', label: 'cancel', line: 5, file: 't.csv' },
    ];
    const res = checkDataset(rows, { keepDuplicates: true, minExamplesPerLabel: 1 });
    expect(res.examples).toHaveLength(4);
    expect(res.findings.map((f) => [f.rule, f.line, f.message.endsWith('kept')])).toEqual([
      ['duplicate', 3, true],
      ['near-duplicate', 4, true],
    ]);
    expect(res.report.duplicatesDropped).toBe(0);
  });
});
