import { describe, expect, it } from 'vitest';
import { ulidFactory, ulidTime } from './ids.js';

const zeros = (n: number) => new Uint8Array(n);

describe('ulid', () => {
  it('encodes the time as the spec does (01ARYZ6S41 = 1469918176385)', () => {
    const id = ulidFactory(() => 1469918176385, zeros)();
    expect(id).toBe('01ARYZ6S410000000000000000');
    expect(ulidTime(id)).toBe(1469918176385);
  });

  it('increments within a millisecond and when the clock steps back', () => {
    const times = [5000, 5000, 4000, 6000];
    const next = ulidFactory(() => times.shift()!, zeros);
    const ids = [next(), next(), next(), next()];
    expect(ids.map((x) => x.slice(10))).toEqual(['0000000000000000', '0000000000000001', '0000000000000002', '0000000000000000']);
    expect([...ids].sort()).toEqual(ids);
    expect(ulidTime(ids[2])).toBe(5000);
  });

  it('keeps room to increment: the random tail never starts in its top bit', () => {
    const id = ulidFactory(() => 1, (n) => new Uint8Array(n).fill(255))();
    expect(id.slice(10)).toBe('FZZZZZZZZZZZZZZZ');
  });

  it('continues after a floor id, even from an earlier clock', () => {
    const floor = ulidFactory(() => 9000, zeros)();
    const next = ulidFactory(() => 8000, (n) => new Uint8Array(n).fill(7), floor);
    const id = next();
    expect(id > floor).toBe(true);
    expect(ulidTime(id)).toBe(9000);
  });

  it('rolls into the next millisecond instead of wrapping the tail', () => {
    const next = ulidFactory(() => 100, zeros, `${ulidFactory(() => 100, zeros)().slice(0, 10)}ZZZZZZZZZZZZZZZZ`);
    const id = next();
    expect(ulidTime(id)).toBe(101);
  });
});
