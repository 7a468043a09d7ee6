import { describe, expect, it } from 'vitest';
import { codePointLength, nearKey, normaliseLabel, normaliseText } from './normalise.js';

describe('normalisation', () => {
  it('normaliseText: NFC, trims, collapses whitespace, keeps case and punctuation', () => {
    expect(normaliseText('  Cafe\u0301\n\n  OPEN?\u00a0 ')).toBe('Caf\u00e9 OPEN?');
  });

  it('normaliseLabel: trims only', () => {
    expect(normaliseLabel('  Track_Order \t')).toBe('Track_Order');
  });

  it('nearKey: case-folds, drops apostrophes, turns other punctuation into spaces', () => {
    expect(nearKey("I DON'T  know... where’s it?")).toBe('i dont know wheres it');
    expect(nearKey('hello,world')).toBe(nearKey('Hello, world!'));
    expect(nearKey('ｆｕｌｌwidth')).toBe('fullwidth');
  });

  it('codePointLength counts astral characters once', () => {
    expect(codePointLength('a😀b')).toBe(3);
  });
});
