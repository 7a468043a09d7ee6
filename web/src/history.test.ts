import { describe, expect, it } from 'vitest';
import { History, toPrecision } from './history.js';

const at = (s: number) => s * 1000;

describe('dashboard history', () => {
  it('turns refreshes into chart columns: rate, route shares per interval, spend in the window', () => {
    const h = new History(60_000);
    h.add({ at: at(0), rps: 10, routesNow: { accepted: 8, llm: 1, review: 1 }, costUsd: 1.0 });
    h.add({ at: at(2), rps: 12, routesNow: { accepted: 0, llm: 0, review: 0 }, costUsd: 1.5 });
    h.add({ at: at(4), rps: 4, routesNow: { accepted: 1, llm: 3 }, costUsd: 2.0 });
    const c = h.columns();
    expect(c.t).toEqual([0, 2, 4]);
    expect(c.rps).toEqual([10, 12, 4]);
    expect(c.routes.accepted).toEqual([0.8, null, 0.25]);
    expect(c.routes.llm).toEqual([0.1, null, 0.75]);
    expect(c.routes.review).toEqual([0.1, null, 0]);
    // spend counts from the first point of the window, not from the server's start
    expect(c.spend).toEqual([0, 0.5, 1.0]);
    expect(c.hasPrecision).toBe(false);
  });

  it('keeps only the window and at most maxPoints', () => {
    const h = new History(10_000, 4);
    for (let s = 0; s <= 20; s += 2) h.add({ at: at(s), rps: s, routesNow: {}, costUsd: 0 });
    expect(h.columns().t).toEqual([14, 16, 18, 20]);
    h.setWindow(3_000);
    expect(h.columns().t).toEqual([18, 20]);
  });

  it('counts spend across a counter reset (server restart) instead of going negative', () => {
    const h = new History(60_000);
    h.add({ at: at(0), rps: 0, routesNow: {}, costUsd: 5 });
    h.add({ at: at(2), rps: 0, routesNow: {}, costUsd: 0.25 });
    expect(h.columns().spend).toEqual([0, 0.25]);
  });

  it('reads the monitor precision field and leaves gaps where it is missing', () => {
    expect(toPrecision({ precision: null })).toBeUndefined();
    expect(toPrecision({})).toBeUndefined();
    const p = toPrecision({ precision: { estimate: 0.97, lower: 0.93, upper: 0.99, audited: 120, target: 0.95 } });
    expect(p).toEqual({ estimate: 0.97, lower: 0.93, upper: 0.99, audited: 120, target: 0.95 });
    const h = new History(60_000);
    h.add({ at: at(0), rps: 0, routesNow: {}, costUsd: 0 });
    h.add({ at: at(2), rps: 0, routesNow: {}, costUsd: 0, precision: p });
    const c = h.columns();
    expect(c.hasPrecision).toBe(true);
    expect(c.precision.estimate).toEqual([null, 0.97]);
    expect(c.precision.target).toEqual([null, 0.95]);
  });
});
