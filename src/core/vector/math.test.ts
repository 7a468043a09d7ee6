import { describe, expect, it } from 'vitest';
import { IntentOpsError } from '../errors.js';
import { cosine, dot, dotRows, l2normalize, norm } from './math.js';

describe('dot', () => {
  it('computes known values', () => {
    expect(dot(new Float32Array([1, 2, 3]), new Float32Array([4, -5, 6]))).toBe(12);
    expect(dot([0.5, 0.5], [2, 2])).toBe(2);
    expect(dot(new Float32Array(0), new Float32Array(0))).toBe(0);
  });
  it('rejects vectors of different lengths', () => {
    const err = (() => { try { dot([1, 2], [1]); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(IntentOpsError);
    expect((err as IntentOpsError).code).toBe('invalid_input');
  });
});

describe('l2normalize', () => {
  it('scales to unit length in place and returns the same array', () => {
    const v = new Float32Array([3, 4]);
    const r = l2normalize(v);
    expect(r).toBe(v);
    expect(Array.from(v)).toEqual([0.6000000238418579, 0.800000011920929]);
    expect(norm(v)).toBeCloseTo(1, 6);
  });
  it('leaves a zero vector at zero (no NaN)', () => {
    const v = new Float32Array(4);
    expect(Array.from(l2normalize(v))).toEqual([0, 0, 0, 0]);
  });
  it('works on plain arrays', () => {
    expect(l2normalize([0, 2, 0])).toEqual([0, 1, 0]);
  });
});

describe('cosine', () => {
  it('computes known values regardless of magnitude', () => {
    expect(cosine([1, 0], [5, 0])).toBeCloseTo(1, 12);
    expect(cosine([1, 0], [0, 3])).toBe(0);
    expect(cosine([1, 1], [-2, -2])).toBeCloseTo(-1, 12);
    expect(cosine([1, 2, 3], [4, 5, 6])).toBeCloseTo(32 / Math.sqrt(14 * 77), 12);
  });
  it('is 0 when either vector is zero', () => {
    expect(cosine([0, 0], [1, 1])).toBe(0);
    expect(cosine([0, 0], [0, 0])).toBe(0);
  });
});

describe('dotRows', () => {
  it('matches dot for every row, including dims that are not a multiple of 4', () => {
    for (const dim of [1, 3, 4, 7, 8]) {
      const rows = 5;
      const m = new Float32Array(rows * dim).map((_, i) => Math.sin(i + 1));
      const q = new Float32Array(dim).map((_, i) => Math.cos(i));
      const out = dotRows(m, rows, q, new Float32Array(rows));
      for (let r = 0; r < rows; r++) {
        expect(out[r]).toBeCloseTo(dot(m.subarray(r * dim, (r + 1) * dim), q), 5);
      }
    }
  });
});
