import { describe, expect, it } from 'vitest';
import { mulberry32, shuffled } from './prng.js';

describe('mulberry32', () => {
  it('produces the reference sequence for a seed', () => {
    const rand = mulberry32(42);
    expect([rand(), rand(), rand()]).toEqual([0.6011037519201636, 0.44829055899754167, 0.8524657934904099]);
  });

  it('stays in [0, 1) and differs between seeds', () => {
    const a = mulberry32(1);
    const b = mulberry32(2);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(a()).not.toBe(b());
  });
});

describe('shuffled', () => {
  it('permutes without mutating the input, reproducibly', () => {
    const input = [1, 2, 3, 4, 5, 6, 7, 8];
    const a = shuffled(input, mulberry32(7));
    expect(input).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect([...a].sort()).toEqual(input);
    expect(a).not.toEqual(input);
    expect(shuffled(input, mulberry32(7))).toEqual(a);
  });
});
