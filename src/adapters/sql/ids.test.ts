import { describe, expect, it } from 'vitest';
import { lowerUlidFactory, ulidFactory, ulidTime } from './ids.js';

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

describe('lowerUlidFactory (tracking run ids)', () => {
  /** The UUIDv7 an earlier release minted at `ms` (time in its first 48 bits; the rest does not matter to order across times). */
  const uuidv7At = (ms: number, tail: string) => {
    const hex = ms.toString(16).padStart(12, '0');
    return `${hex.slice(0, 8)}-${hex.slice(8)}-7${tail}`;
  };

  it('sorts every new id after every UUIDv7 from the same or an earlier time, in byte order and in a locale collation', () => {
    const collator = new Intl.Collator('en-US');
    for (let ms = Date.parse('2024-01-01T00:00:00Z'); ms < Date.parse('2038-01-01T00:00:00Z'); ms += 37 * 86_400_000 + 12_345) {
      const ulid = lowerUlidFactory(() => ms, (n) => new Uint8Array(n))();
      expect(ulid).toMatch(/^[0-9a-hjkmnp-tv-z]{26}$/);
      expect(ulidTime(ulid)).toBe(ms);
      for (const old of [uuidv7At(ms, 'fff-bfff-ffffffffffff'), uuidv7At(ms - 86_400_000, '000-8000-000000000000')]) {
        expect(old < ulid).toBe(true);
        expect(collator.compare(old, ulid)).toBeLessThan(0);
      }
    }
  });
});
