import { describe, expect, it } from 'vitest';
import { formatFindings } from './format.js';
import type { Finding } from './types.js';

const finding = (over: Partial<Finding> = {}): Finding => ({
  severity: 'error',
  rule: 'empty-text',
  file: 'data.csv',
  line: 4,
  message: 'text is empty',
  hint: 'fill in the text or delete the row',
  ...over,
});

describe('formatFindings', () => {
  it('renders file:line: severity[rule]: message (hint: ...)', () => {
    expect(formatFindings([finding(), finding({ severity: 'warning', rule: 'duplicate', line: 9, message: 'dup' })])).toEqual([
      'data.csv:4: error[empty-text]: text is empty (hint: fill in the text or delete the row)',
      'data.csv:9: warning[duplicate]: dup (hint: fill in the text or delete the row)',
    ]);
  });

  it('omits the line for whole-file findings and the location when there is none', () => {
    const tail = 'error[empty-text]: text is empty (hint: fill in the text or delete the row)';
    expect(formatFindings([finding({ line: 0 }), finding({ file: '', line: 0 })])).toEqual([`data.csv: ${tail}`, tail]);
  });

  it('truncates to max and summarises the rest', () => {
    const many = [finding(), finding({ severity: 'warning' }), finding(), finding({ severity: 'warning' })];
    const lines = formatFindings(many, { max: 1 });
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe('... and 3 more (1 error, 2 warnings)');
  });
});
