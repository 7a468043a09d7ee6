import type { SpendCounter } from '../../ports/spend-counter.js';
import { checkSpend, closedCounter } from './checks.js';

const WHERE = 'spend counter (memory)';

/** Days kept: today and a few before it (a day that ended is never written again). */
const KEEP_DAYS = 3;

class MemorySpendCounter implements SpendCounter {
  private readonly days = new Map<string, number>();
  private closed = false;

  async add(day: string, usd: number): Promise<number> {
    if (this.closed) throw closedCounter(WHERE);
    checkSpend(WHERE, day, usd);
    const total = (this.days.get(day) ?? 0) + usd;
    this.days.set(day, total);
    if (this.days.size > KEEP_DAYS) {
      const oldest = [...this.days.keys()].sort()[0];
      if (oldest !== day) this.days.delete(oldest);
    }
    return total;
  }

  async get(day: string): Promise<number> {
    if (this.closed) throw closedCounter(WHERE);
    checkSpend(WHERE, day);
    return this.days.get(day) ?? 0;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/**
 * Spend counted in this process: each replica (and each `--workers` process) has its own budget.
 *
 * @example
 *   const spend = createMemorySpendCounter();
 *   await spend.add('2025-01-31', 0.00042); // 0.00042
 */
export function createMemorySpendCounter(): SpendCounter {
  return new MemorySpendCounter();
}
