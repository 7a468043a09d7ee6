import type { Redis } from 'ioredis';
import type { SpendCounter } from '../../ports/spend-counter.js';
import { closeRedis, connectRedis, redisError, type RedisConnectOptions } from '../redis-connect.js';
import { checkSpend, closedCounter } from './checks.js';

export interface RedisSpendCounterOptions extends RedisConnectOptions {
  /** Prepended to the day, so one Redis can serve several deployments. Default `intentops:spend:`. */
  readonly keyPrefix?: string;
  /** How long a day's key lives after its last write. Default 3 days: long enough for any time zone, short enough to clean up. */
  readonly ttlSeconds?: number;
}

export const DEFAULT_SPEND_PREFIX = 'intentops:spend:';
const WHERE = 'spend counter (redis)';

/*
 * One key per day holding a float, added to with INCRBYFLOAT (atomic across replicas) and
 * given an expiry in the same MULTI, so no day's key outlives the TTL even if a replica dies
 * between the two commands.
 */
class RedisSpendCounter implements SpendCounter {
  private closed = false;

  constructor(
    private readonly client: Redis,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
  ) {}

  async add(day: string, usd: number): Promise<number> {
    if (this.closed) throw closedCounter(WHERE);
    checkSpend(WHERE, day, usd);
    const key = this.prefix + day;
    let res: [Error | null, unknown][] | null;
    try {
      res = await this.client.multi().incrbyfloat(key, usd).expire(key, this.ttlSeconds).exec();
    } catch (e) {
      throw redisError(e, WHERE);
    }
    const [err, total] = res?.[0] ?? [new Error('transaction aborted'), null];
    if (err) throw redisError(err, WHERE);
    return Number(total);
  }

  async get(day: string): Promise<number> {
    if (this.closed) throw closedCounter(WHERE);
    checkSpend(WHERE, day);
    let s: string | null;
    try {
      s = await this.client.get(this.prefix + day);
    } catch (e) {
      throw redisError(e, WHERE);
    }
    const n = s === null ? 0 : Number(s);
    return Number.isFinite(n) ? n : 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await closeRedis(this.client);
  }
}

/**
 * Spend in Redis at `uri`, one total shared by every replica.
 *
 * @example
 *   const spend = await openRedisSpendCounter('redis://127.0.0.1:6379/0');
 *   await spend.add('2025-01-31', 0.00042);
 *   await spend.close();
 */
export async function openRedisSpendCounter(uri: string, options: RedisSpendCounterOptions = {}): Promise<SpendCounter> {
  const client = await connectRedis(uri, WHERE, options);
  return new RedisSpendCounter(client, options.keyPrefix ?? DEFAULT_SPEND_PREFIX, options.ttlSeconds ?? 3 * 86_400);
}
