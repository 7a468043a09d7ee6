import { describe, expect, it } from 'vitest';
import { IntentOpsError } from '../errors.js';
import { percentile, summarizeLatencies } from './index.js';

describe('percentile', () => {
  // numpy default ('linear'): h = (n-1) * p/100, x[floor h] + frac(h) * (x[floor h + 1] - x[floor h])
  it('matches numpy.percentile on hand-computed cases', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5); // h = 1.5
    expect(percentile([4, 1, 3, 2], 90)).toBeCloseTo(3.7, 12); // h = 2.7 -> 3 + 0.7
    expect(percentile([1, 2, 3, 4], 25)).toBe(1.75); // h = 0.75
    expect(percentile([15, 20, 35, 40, 50], 40)).toBeCloseTo(29, 12); // h = 1.6 -> 20 + 0.6*15
    expect(percentile([15, 20, 35, 40, 50], 5)).toBeCloseTo(16, 12); // h = 0.2 -> 15 + 0.2*5
    expect(percentile([7], 33)).toBe(7);
    expect(percentile([3, 1, 2], 0)).toBe(1);
    expect(percentile([3, 1, 2], 100)).toBe(3);
  });

  it('does not modify its input', () => {
    const xs = [3, 1, 2];
    percentile(xs, 50);
    expect(xs).toEqual([3, 1, 2]);
  });

  it('rejects empty input, NaN and p outside [0, 100]', () => {
    expect(() => percentile([], 50)).toThrow(IntentOpsError);
    expect(() => percentile([1, Number.NaN], 50)).toThrow(/finite/);
    expect(() => percentile([1], 101)).toThrow(/p = 101/);
    expect(() => percentile([1], -1)).toThrow(IntentOpsError);
  });
});

describe('summarizeLatencies', () => {
  it('summarizes a skewed sample', () => {
    // sorted: 11 12 13 14 15 16 18 20 90 200 (sum 409)
    // p50: h = 4.5 -> 15.5; p90: h = 8.1 -> 90 + 0.1*110 = 101; p99: h = 8.91 -> 90 + 0.91*110 = 190.1
    const s = summarizeLatencies([12, 15, 11, 200, 13, 14, 16, 18, 20, 90]);
    expect(s.p50).toBe(15.5);
    expect(s.p90).toBeCloseTo(101, 9);
    expect(s.p99).toBeCloseTo(190.1, 9);
    expect(s.mean).toBeCloseTo(40.9, 12);
    expect(s.max).toBe(200);
  });

  it('handles a single value and rejects an empty list', () => {
    expect(summarizeLatencies([5])).toEqual({ p50: 5, p90: 5, p99: 5, mean: 5, max: 5 });
    expect(() => summarizeLatencies([])).toThrow(IntentOpsError);
  });
});
