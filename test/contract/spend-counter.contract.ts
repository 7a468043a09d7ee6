import { afterEach, describe, expect, it } from 'vitest';
import type { SpendCounter } from '../../src/ports/spend-counter.js';
import { rejection } from '../helpers/sample.js';

/** The behaviour every SpendCounter adapter must share. */
export interface SpendCounterHarness {
  /** A new, empty, isolated counter (its own key prefix on a shared server). */
  fresh(): Promise<SpendCounter>;
}

export function runSpendCounterContract(name: string, harness: SpendCounterHarness): void {
  describe(`SpendCounter contract: ${name}`, () => {
    const open: SpendCounter[] = [];
    afterEach(async () => {
      for (const c of open.splice(0)) await c.close();
    });
    async function setup(): Promise<SpendCounter> {
      const c = await harness.fresh();
      open.push(c);
      return c;
    }

    it('a day without spend is 0', async () => {
      const c = await setup();
      expect(await c.get('2025-01-31')).toBe(0);
    });

    it('add returns the running total; get reads it; days are independent', async () => {
      const c = await setup();
      expect(await c.add('2025-01-31', 0.25)).toBeCloseTo(0.25, 12);
      expect(await c.add('2025-01-31', 0.000156)).toBeCloseTo(0.250156, 12);
      expect(await c.add('2025-02-01', 1)).toBe(1);
      expect(await c.get('2025-01-31')).toBeCloseTo(0.250156, 12);
      expect(await c.get('2025-02-01')).toBe(1);
      expect(await c.add('2025-02-01', 0)).toBe(1);
    });

    it('concurrent adds all count', async () => {
      const c = await setup();
      const totals = await Promise.all(Array.from({ length: 50 }, () => c.add('2025-03-01', 0.001)));
      expect(await c.get('2025-03-01')).toBeCloseTo(0.05, 9);
      // every caller saw a distinct running total, the largest being the sum
      expect(new Set(totals.map((t) => t.toFixed(6))).size).toBe(50);
      expect(Math.max(...totals)).toBeCloseTo(0.05, 9);
    });

    it('rejects a malformed day or a negative, infinite or NaN amount with invalid_input', async () => {
      const c = await setup();
      for (const bad of [-0.01, Number.NaN, Number.POSITIVE_INFINITY]) {
        const err = await rejection(c.add('2025-01-31', bad));
        expect(err.code).toBe('invalid_input');
        expect(err.message).toMatch(/spend must be a finite number/);
      }
      expect((await rejection(c.add('31.01.2025', 1))).message).toMatch(/YYYY-MM-DD/);
      expect((await rejection(c.get('today'))).code).toBe('invalid_input');
      expect(await c.get('2025-01-31')).toBe(0);
    });

    it('a closed counter refuses calls with unavailable; close is idempotent', async () => {
      const c = await harness.fresh();
      await c.close();
      await c.close();
      expect((await rejection(c.add('2025-01-31', 1))).code).toBe('unavailable');
      expect((await rejection(c.get('2025-01-31'))).code).toBe('unavailable');
    });
  });
}
