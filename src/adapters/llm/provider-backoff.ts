/**
 * One back-off per provider, shared by every client of it in the process: when a provider answers
 * 429 or 503, every variant and client calling the same base URL waits until the time it asked
 * for (Retry-After) or, without one, a jittered back-off step — instead of each client finding out
 * with a rejected call of its own. Bounded: a hold never reaches further than `maxHoldMs` ahead,
 * and at most `maxProviders` providers are remembered (expired holds are dropped first). Holds are
 * times on the clients' clock: clients given their own clock (tests) get a back-off of their own.
 *
 * @example
 *   const backoff = new ProviderBackoff();
 *   backoff.hold('http://localhost:11434/v1', Date.now() + 1000);
 *   backoff.waitMs('http://localhost:11434/v1', Date.now()); // ≈ 1000
 */
export class ProviderBackoff {
  private readonly until = new Map<string, number>();
  private holdsSet = 0;

  constructor(
    readonly maxHoldMs = 30_000,
    readonly maxProviders = 256,
  ) {}

  /** How long a call to `provider` must wait now (0: go). */
  waitMs(provider: string, now: number): number {
    const t = this.heldUntil(provider, now);
    return t === undefined ? 0 : t - now;
  }

  /** The time until which `provider` is held, or undefined when it is not (an expired hold is dropped). */
  heldUntil(provider: string, now: number): number | undefined {
    const t = this.until.get(provider);
    if (t === undefined) return undefined;
    if (t <= now) {
      this.until.delete(provider);
      return undefined;
    }
    return t;
  }

  /**
   * The provider asked to slow down: no call to it before `until` (capped at now + maxHoldMs). The
   * provider's latest answer wins: a newer, shorter Retry-After replaces an older, longer one.
   * Returns the time set (what the caller itself waits).
   */
  hold(provider: string, until: number, now = Date.now()): number {
    const t = Math.min(until, now + this.maxHoldMs);
    this.until.delete(provider);
    if (t <= now) return t;
    if (this.until.size >= this.maxProviders) this.evict(now);
    this.until.set(provider, t);
    this.holdsSet++;
    return t;
  }

  /** Providers held now, and how many holds were set since start (for stats and tests). */
  stats(now = Date.now()): { readonly held: number; readonly holds: number } {
    let held = 0;
    for (const t of this.until.values()) if (t > now) held++;
    return { held, holds: this.holdsSet };
  }

  private evict(now: number): void {
    for (const [k, t] of this.until) if (t <= now) this.until.delete(k);
    // still full: the oldest entry goes (Map keeps insertion order)
    while (this.until.size >= this.maxProviders) this.until.delete(this.until.keys().next().value!);
  }
}

/** The back-off every client shares unless given its own (one per process). */
export const sharedProviderBackoff = new ProviderBackoff();
