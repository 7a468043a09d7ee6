import { describe, expect, it } from 'vitest';
import { SlidingWindow, Tally } from './window.js';

const MIN = 60_000;

describe('Tally', () => {
  it('counts labels, confidence bins, routes, cost and sampled features', () => {
    const t = new Tally(3);
    t.count(0, 0.99, 'accepted');
    t.count(2, 0.5, 'llm', 0.002);
    t.count(2, 0.3, 'review');
    t.count(9, 0.3, 'review'); // unknown label: counted as an answer, not as a class
    t.features(0.25, 0.4, 0.3);
    t.features(undefined, 0.2, 0.3);
    t.features(Number.NaN, undefined, 0.3);
    expect(t.n).toBe(4);
    expect(Array.from(t.labels)).toEqual([1, 0, 2]);
    expect([t.accepted, t.llm, t.review]).toEqual([1, 1, 2]);
    expect(t.costUsd).toBeCloseTo(0.002, 12);
    expect(t.confidence.reduce((a, b) => a + b)).toBe(4);
    expect([t.oovN, t.oovSum, t.distN, t.distBeyondP95]).toEqual([1, 0.25, 2, 1]);
    expect(t.distSum).toBeCloseTo(0.6, 12);
    const sum = new Tally(3).merge(t).merge(t);
    expect(sum.n).toBe(8);
    expect(Array.from(sum.labels)).toEqual([2, 0, 4]);
    t.reset();
    expect(t.n + t.labels[2] + t.confidence[0] + t.distN).toBe(0);
  });
});

describe('SlidingWindow', () => {
  it('keeps the last window of buckets and forgets older ones', () => {
    const w = new SlidingWindow({ classes: 2, windowMs: 3 * MIN });
    expect(w.buckets).toBe(3);
    const t0 = 1_700_000_000_000 - (1_700_000_000_000 % MIN);
    w.at(t0).count(0, 0.9, 'accepted');
    w.at(t0 + MIN).count(1, 0.9, 'accepted');
    w.at(t0 + 2 * MIN + 59_999).count(1, 0.9, 'review');
    let r = w.totals(t0 + 2 * MIN + 59_999);
    expect(r.tally.n).toBe(3);
    expect(r.since).toBe(t0);
    // one minute later the first bucket has left the window, and its slot is reused
    w.at(t0 + 3 * MIN).count(0, 0.9, 'llm');
    r = w.totals(t0 + 3 * MIN);
    expect(Array.from(r.tally.labels)).toEqual([1, 2]);
    expect(r.tally.llm).toBe(1);
    // after a silence longer than the window nothing is left, without any writes in between
    expect(w.totals(t0 + 10 * MIN).tally.n).toBe(0);
  });

  it('a bucket left over from a previous lap is cleared before it counts again', () => {
    const w = new SlidingWindow({ classes: 1, windowMs: 2 * MIN });
    w.at(0).count(0, 0.9, 'accepted');
    w.at(2 * MIN).count(0, 0.9, 'accepted'); // same slot, next lap
    expect(w.totals(2 * MIN).tally.n).toBe(1);
  });

  it('rejects a window shorter than a bucket', () => {
    expect(() => new SlidingWindow({ classes: 1, windowMs: 1000 })).toThrow(/at least one bucket/);
  });
});
