/**
 * Running LLM spend per day, in US dollars: what the daily budget reads and adds to. Adapters:
 * in-process memory (the default: each replica counts its own spend) and Redis (replicas share
 * one total). `day` is a calendar day `YYYY-MM-DD` chosen by the caller (its time zone).
 */
export interface SpendCounter {
  /** Adds `usd` (≥ 0) to the day's total and returns the new total, other replicas' spend included. */
  add(day: string, usd: number): Promise<number>;
  /** The day's total so far (0 when nothing was spent). */
  get(day: string): Promise<number>;
  close(): Promise<void>;
}
