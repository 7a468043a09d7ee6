import { describe, expect, it } from 'vitest';
import { uuidv7Generator, uuidv7Time } from './ids.js';

describe('uuidv7Generator', () => {
  const zeros = (n: number) => new Uint8Array(n);
  const ones = (n: number) => new Uint8Array(n).fill(0xff);

  it('encodes the millisecond clock, version 7 and the RFC variant', () => {
    const id = uuidv7Generator(() => Date.parse('2025-03-01T10:00:00.000Z'), ones)();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Date(uuidv7Time(id)).toISOString()).toBe('2025-03-01T10:00:00.000Z');
  });

  it('stays strictly increasing within one millisecond and when the clock steps back', () => {
    const times = [1000, 1000, 1000, 999, 500, 1001, 1001];
    let i = 0;
    const next = uuidv7Generator(() => times[i++], ones);
    const ids = times.map(() => next());
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('rolls into the next millisecond when the 12-bit counter is exhausted', () => {
    const next = uuidv7Generator(() => 5000, zeros);
    const ids = Array.from({ length: 5000 }, () => next());
    expect([...ids].sort()).toEqual(ids);
    expect(uuidv7Time(ids[4095])).toBe(5000);
    expect(uuidv7Time(ids[4096])).toBe(5001);
  });

  it('sorts ids from later times after earlier ones regardless of randomness', () => {
    const a = uuidv7Generator(() => 1_700_000_000_000, ones)();
    const b = uuidv7Generator(() => 1_700_000_000_001, zeros)();
    expect(a < b).toBe(true);
  });
});
