import { describe, expect, it } from 'vitest';
import { Vocabulary, wordTokens } from './vocabulary.js';

describe('wordTokens', () => {
  it('case-folds, NFKC-normalises, keeps inner apostrophes and splits on punctuation', () => {
    expect(wordTokens("Don't  CHARGE me twice, ok?")).toEqual(["don't", 'charge', 'me', 'twice', 'ok']);
    expect(wordTokens('Ｆｕｌｌ width Größe 2fa')).toEqual(['full', 'width', 'größe', '2fa']);
    expect(wordTokens('?! 😀')).toEqual([]);
  });
});

describe('Vocabulary', () => {
  const v = Vocabulary.fromTexts(['reset my password', 'my card has not arrived', 'card arrived broken']);

  it('knows every training token and measures the unseen share of a message', () => {
    expect(v.size).toBe(8);
    expect(v.has('password')).toBe(true);
    expect(v.oovShare('Reset my PIN')).toBeCloseTo(1 / 3, 12);
    expect(v.oovShare('card arrived')).toBe(0);
    expect(v.oovShare('wo ist mein Paket')).toBe(1);
    expect(v.oovShare('…')).toBeUndefined();
  });

  it('expects the leave-one-out share: tokens found in no other training text', () => {
    // text 1: reset, password unique (my is shared) → 2/3; text 2: has, not unique → 2/5; text 3: broken → 1/3
    expect(v.expectedOovShare).toBeCloseTo((2 / 3 + 2 / 5 + 1 / 3) / 3, 12);
    expect(Vocabulary.fromTexts([]).expectedOovShare).toBe(0);
  });
});
