export interface RateDecision {
  readonly allowed: boolean;
  /** When not allowed: how long until a request would be. */
  readonly retryAfterMs: number;
  readonly remaining: number;
}

/** Per-key request budget (token bucket). Adapters: in-memory (default), Redis (shared by replicas). */
export interface RateLimiter {
  take(key: string): Promise<RateDecision>;
  close(): Promise<void>;
}
