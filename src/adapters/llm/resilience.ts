import { LlmNotCalled, LlmTimeout } from '../../ports/llm.js';

/** What to do when calls wait in the LLM queue until their deadline is (nearly) spent. */
export const QUEUE_WAIT_HINT = 'the LLM answers slower than the traffic sent to it; raise llm.maxConcurrency or llm.deadlineMs, or lower the share of messages sent to it';

/**
 * Keeping a slow or failing LLM from hurting the service: a circuit breaker (stop calling a
 * server that keeps failing, probe it again after a cool-down), a concurrency cap with a bounded
 * FIFO queue, and retry waits (full-jitter backoff, or what the server asks for). Pure logic:
 * the clock and randomness are passed in.
 */

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitOptions {
  /** Consecutive failed calls that open the circuit. */
  readonly failureThreshold: number;
  /** How long the circuit stays open before one probe call is let through. */
  readonly cooldownMs: number;
}

/** One admitted call; report how it ended exactly once. */
export interface CircuitPermit {
  succeeded(): void;
  failed(): void;
  /** The caller gave up: the call says nothing about the server. */
  abandoned(): void;
}

/** A change of the breaker's state, for the log (one line per change, not one per refused call). */
export interface CircuitChange {
  readonly from: CircuitState;
  readonly to: CircuitState;
  readonly consecutiveFailures: number;
}

export class CircuitBreaker {
  private failures = 0;
  private openedAt: number | undefined;
  private probing = false;

  constructor(
    private readonly o: CircuitOptions,
    private readonly now: () => number,
    private readonly where = 'llm',
    private readonly onChange?: (c: CircuitChange) => void,
  ) {}

  private changed(from: CircuitState): void {
    const to = this.state;
    if (to !== from) this.onChange?.({ from, to, consecutiveFailures: this.failures });
  }

  get state(): CircuitState {
    if (this.openedAt === undefined) return 'closed';
    return this.now() - this.openedAt < this.o.cooldownMs ? 'open' : 'half-open';
  }

  get consecutiveFailures(): number {
    return this.failures;
  }

  private openError(): LlmNotCalled {
    const left = Math.max(0, this.o.cooldownMs - (this.now() - (this.openedAt ?? 0)));
    const msg = this.state === 'open'
      ? `circuit open after ${this.failures} consecutive LLM failures; next try in ${Math.ceil(left / 1000)} s`
      : 'circuit open (half-open: a probe call is in flight)';
    return new LlmNotCalled('circuit_open', msg, { where: this.where, hint: 'the LLM server keeps failing; messages go to review until it recovers' });
  }

  /** Throws when a call would be refused now; takes nothing (for failing fast before queueing). */
  check(): void {
    const s = this.state;
    if (s === 'open' || (s === 'half-open' && this.probing)) throw this.openError();
  }

  /** Admits one call or throws `unavailable`. In half-open state only one probe at a time. */
  enter(): CircuitPermit {
    this.check();
    const probe = this.state === 'half-open';
    if (probe) this.probing = true;
    let done = false;
    const end = (f: () => void) => () => {
      if (done) return;
      done = true;
      if (probe) this.probing = false;
      const from = probe ? 'half-open' : this.state;
      f();
      this.changed(from);
    };
    return {
      succeeded: end(() => {
        this.failures = 0;
        this.openedAt = undefined;
      }),
      failed: end(() => {
        this.failures++;
        if (probe || (this.openedAt === undefined && this.failures >= this.o.failureThreshold)) this.openedAt = this.now();
      }),
      abandoned: end(() => {}),
    };
  }
}

interface Waiter {
  resolve(release: () => void): void;
  reject(e: unknown): void;
  signal?: AbortSignal;
  onAbort?: () => void;
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * At most `max` calls in flight; up to `maxQueue` more wait in order; beyond that, fail fast.
 * A waiter given `timeoutMs` leaves the queue with LlmTimeout (called: false) when no slot freed in time.
 */
export class ConcurrencyLimiter {
  private active = 0;
  private readonly queue: Waiter[] = [];

  constructor(
    readonly max: number,
    readonly maxQueue: number,
    private readonly where = 'llm',
  ) {}

  get inFlight(): number {
    return this.active;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Resolves with a release function once a slot is free. */
  acquire(signal?: AbortSignal, timeoutMs?: number): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.active < this.max) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    if (this.queue.length >= this.maxQueue) {
      return Promise.reject(
        new LlmNotCalled('queue_full', `LLM queue full: ${this.active} calls in flight and ${this.queue.length} waiting`, {
          where: this.where,
          hint: 'the LLM is slower than the traffic sent to it; raise maxConcurrent/maxQueue or the routing thresholds',
        }),
      );
    }
    if (timeoutMs !== undefined && timeoutMs <= 0) return Promise.reject(this.queueTimeout(0));
    return new Promise((resolve, reject) => {
      const w: Waiter = { resolve, reject, signal };
      const leave = (e: unknown) => {
        const i = this.queue.indexOf(w);
        if (i >= 0) this.queue.splice(i, 1);
        if (w.timer) clearTimeout(w.timer);
        if (w.onAbort) signal?.removeEventListener('abort', w.onAbort);
        reject(e);
      };
      if (signal) {
        w.onAbort = () => leave(signal.reason);
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      if (timeoutMs !== undefined) w.timer = setTimeout(() => leave(this.queueTimeout(timeoutMs)), timeoutMs);
      this.queue.push(w);
    });
  }

  private queueTimeout(ms: number): LlmTimeout {
    return new LlmTimeout(`no LLM call slot freed within the deadline (waited ${ms} ms behind ${this.active} calls in flight)`, false, {
      where: this.where,
      hint: QUEUE_WAIT_HINT,
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.queue.shift();
      if (!next) {
        this.active--;
        return;
      }
      if (next.onAbort) next.signal?.removeEventListener('abort', next.onAbort);
      if (next.timer) clearTimeout(next.timer);
      next.resolve(this.releaser()); // the slot passes straight to the next waiter
    };
  }
}

/** Full jitter (AWS): uniform in [0, min(cap, base·2^attempt)), so clients spread out. */
export function backoffMs(attempt: number, baseMs: number, capMs: number, random: () => number): number {
  return random() * Math.min(capMs, baseMs * 2 ** attempt);
}

/** The wait a 429/503 asks for: `retry-after-ms` (OpenAI, Azure), else `Retry-After` in seconds or as a date. */
export function retryAfterMs(h: { get(name: string): string | null }, now: number): number | undefined {
  const ms = Number(h.get('retry-after-ms') ?? NaN);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const raw = h.get('retry-after')?.trim();
  if (!raw) return undefined;
  const wait = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) * 1000 : Date.parse(raw) - now;
  return Number.isFinite(wait) ? Math.max(wait, 0) : undefined;
}
