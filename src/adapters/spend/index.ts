import { IntentOpsError } from '../../core/errors.js';
import type { SpendCounter } from '../../ports/spend-counter.js';
import { pickByScheme } from '../uri.js';
import type { RedisSpendCounterOptions } from './redis.js';

export type SpendCounterOptions = RedisSpendCounterOptions;

interface SpendBackend {
  readonly description: string;
  open(rest: string, uri: string, options: SpendCounterOptions): Promise<SpendCounter>;
}

const redis: SpendBackend = {
  description: 'Redis (INCRBYFLOAT on a per-day key with expiry): replicas share one budget',
  open: async (_rest, uri, options) => (await import('./redis.js')).openRedisSpendCounter(uri, options),
};

/** Spend counter backends by URI scheme; ioredis loads only when a redis URI is chosen. */
export const spendCounters = Object.freeze({
  memory: {
    description: 'in this process (the default; each replica and worker has its own budget)',
    open: async (rest) => {
      if (rest !== '') throw new IntentOpsError('invalid_config', `spend counter URI "memory:${rest}": memory takes no parameters`, { where: 'monitor.budget.uri', hint: 'write memory' });
      return (await import('./memory.js')).createMemorySpendCounter();
    },
  },
  redis,
  rediss: redis,
} satisfies Record<string, SpendBackend>);

export const SPEND_COUNTER_URIS = Object.freeze(['memory', 'redis://[:PASSWORD@]HOST:PORT[/DB]', 'rediss://… (TLS)']);

/**
 * Opens the LLM spend counter named by `uri`: `memory` (default) or `redis://…`. An unknown
 * scheme fails with 'invalid_config' listing the valid ones.
 *
 * @example
 *   const spend = await openSpendCounter('redis://127.0.0.1:6379/0');
 *   const today = await spend.add('2025-01-31', 0.0004);
 */
export async function openSpendCounter(uri: string, options: SpendCounterOptions = {}): Promise<SpendCounter> {
  const { entry, rest } = pickByScheme(spendCounters, uri, 'spend counter', SPEND_COUNTER_URIS);
  return entry.open(rest, uri, options);
}
