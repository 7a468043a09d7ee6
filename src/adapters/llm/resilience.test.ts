import { describe, expect, it } from 'vitest';
import { backoffMs, CircuitBreaker, ConcurrencyLimiter, retryAfterMs } from './resilience.js';

describe('CircuitBreaker', () => {
  it('closed → open after N consecutive failures → half-open after the cool-down → closed on a good probe', () => {
    let t = 0;
    const b = new CircuitBreaker({ failureThreshold: 2, cooldownMs: 100 }, () => t);
    b.enter().failed();
    b.enter().succeeded(); // resets the count
    b.enter().failed();
    expect(b.state).toBe('closed');
    b.enter().failed();
    expect(b.state).toBe('open');
    expect(() => b.enter()).toThrow(/circuit open after 2 consecutive LLM failures; next try in 1 s/);
    t = 100;
    expect(b.state).toBe('half-open');
    const probe = b.enter();
    expect(() => b.enter()).toThrow(/a probe call is in flight/); // one probe at a time
    probe.succeeded();
    expect(b.state).toBe('closed');
  });

  it('a failed probe re-opens for a full cool-down; an abandoned one frees the probe slot', () => {
    let t = 0;
    const b = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 100 }, () => t);
    b.enter().failed();
    t = 150;
    b.enter().abandoned();
    expect(b.state).toBe('half-open');
    b.enter().failed();
    expect(b.state).toBe('open');
    t = 249;
    expect(b.state).toBe('open');
    t = 250;
    expect(b.state).toBe('half-open');
  });

  it('reporting twice counts once', () => {
    const b = new CircuitBreaker({ failureThreshold: 2, cooldownMs: 100 }, () => 0);
    const p = b.enter();
    p.failed();
    p.failed();
    expect(b.consecutiveFailures).toBe(1);
  });
});

describe('ConcurrencyLimiter', () => {
  it('admits up to max, queues FIFO up to maxQueue, then fails fast', async () => {
    const l = new ConcurrencyLimiter(1, 2);
    const order: number[] = [];
    const r0 = await l.acquire();
    const waits = [1, 2].map((i) => l.acquire().then((release) => (order.push(i), release)));
    await expect(l.acquire()).rejects.toThrow(/LLM queue full: 1 calls in flight and 2 waiting/);
    expect(l.queued).toBe(2);
    r0();
    r0(); // idempotent
    const r1 = await waits[0];
    expect(l.inFlight).toBe(1);
    r1();
    (await waits[1])();
    expect(order).toEqual([1, 2]);
    expect(l.inFlight).toBe(0);
  });

  it('an aborted waiter leaves the queue', async () => {
    const l = new ConcurrencyLimiter(1, 5);
    const r0 = await l.acquire();
    const ac = new AbortController();
    const w = l.acquire(ac.signal);
    ac.abort(new Error('gone'));
    await expect(w).rejects.toThrow('gone');
    expect(l.queued).toBe(0);
    r0();
    expect(l.inFlight).toBe(0);
  });
});

describe('retry waits', () => {
  it('full jitter stays in [0, min(cap, base·2^n))', () => {
    expect(backoffMs(0, 100, 1000, () => 0)).toBe(0);
    expect(backoffMs(2, 100, 1000, () => 0.5)).toBe(200);
    expect(backoffMs(10, 100, 1000, () => 0.999)).toBeCloseTo(999);
  });

  it('reads retry-after-ms, Retry-After seconds and dates', () => {
    const h = (o: Record<string, string>) => new Headers(o);
    expect(retryAfterMs(h({ 'retry-after-ms': '250', 'retry-after': '9' }), 0)).toBe(250);
    expect(retryAfterMs(h({ 'retry-after': '2' }), 0)).toBe(2000);
    expect(retryAfterMs(h({ 'retry-after': 'Thu, 01 Jan 1970 00:00:03 GMT' }), 1000)).toBe(2000);
    expect(retryAfterMs(h({ 'retry-after': 'soon' }), 0)).toBeUndefined();
    expect(retryAfterMs(h({}), 0)).toBeUndefined();
  });
});
