import { describe, expect, it } from 'vitest';
import { dataHash } from './hash.js';
import { labelMap } from './label-map.js';

describe('labelMap', () => {
  it('sorts and de-duplicates labels by code unit, independent of locale', () => {
    const { labels, index } = labelMap(['refund', 'Cancel', 'cancel', 'refund', 'émoji', 'b']);
    expect(labels).toEqual(['Cancel', 'b', 'cancel', 'refund', 'émoji']);
    expect([...index]).toEqual([
      ['Cancel', 0],
      ['b', 1],
      ['cancel', 2],
      ['refund', 3],
      ['émoji', 4],
    ]);
  });
});

describe('dataHash', () => {
  const examples = [
    { text: 'where is my order', label: 'track' },
    { text: 'cancel my plan', label: 'cancel' },
  ];

  // Cross-checked with Python: sha256(b'["where is my order","track"]\n["cancel my plan","cancel"]\n').
  it('is a pinned sha-256 of the normalised examples', () => {
    expect(dataHash(examples)).toBe('b9ce527a310588c95075bafebd7fd61c93308ae7443cb288f9308940984adf12');
  });

  it('ignores normalisation-only differences and origin fields', () => {
    const noisy = [
      { text: '  where  is my\torder ', label: ' track', line: 9, file: 'x.csv' },
      { text: 'cancel my plan', label: 'cancel', line: 1, file: 'y.csv' },
    ];
    expect(dataHash(noisy)).toBe(dataHash(examples));
  });

  it('changes with order, text, label and field boundaries', () => {
    const h = dataHash(examples);
    expect(dataHash([...examples].reverse())).not.toBe(h);
    expect(dataHash([{ ...examples[0], label: 'other' }, examples[1]])).not.toBe(h);
    expect(dataHash([{ text: 'a b', label: 'c' }])).not.toBe(dataHash([{ text: 'a', label: 'b c' }]));
  });
});
