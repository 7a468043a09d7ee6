import { describe, expect, it } from 'vitest';
import { stratifiedFolds } from './folds.js';

const data = [...Array.from({ length: 10 }, (_, i) => ({ text: `a${i}`, label: 'a' })), ...Array.from({ length: 5 }, (_, i) => ({ text: `b${i}`, label: 'b' }))];

describe('stratifiedFolds', () => {
  it('spreads every label across the folds with near-equal sizes', () => {
    const f = stratifiedFolds(data, 5, 1);
    const sizes = [0, 0, 0, 0, 0];
    const aPerFold = [0, 0, 0, 0, 0];
    f.forEach((k, i) => {
      sizes[k]++;
      if (data[i].label === 'a') aPerFold[k]++;
    });
    expect(sizes).toEqual([3, 3, 3, 3, 3]);
    expect(aPerFold).toEqual([2, 2, 2, 2, 2]);
  });

  it('is deterministic per seed', () => {
    expect(Array.from(stratifiedFolds(data, 3, 9))).toEqual(Array.from(stratifiedFolds(data, 3, 9)));
    expect(Array.from(stratifiedFolds(data, 3, 9))).not.toEqual(Array.from(stratifiedFolds(data, 3, 10)));
  });

  it('rejects k < 2', () => {
    expect(() => stratifiedFolds(data, 1, 0)).toThrow(/k ≥ 2/);
  });
});
