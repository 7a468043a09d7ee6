import { describe, expect, it } from 'vitest';
import { RolloutStats, type ScoredResult } from './stats.js';

const r = (intent: string, route: ScoredResult['route'] = 'accepted', ms = 1, cached = false): ScoredResult => ({ intent, route, cached, timings: { modelMs: ms, totalMs: ms + 1 } });

describe('rollout stats', () => {
  it('counts requests, routes and cache hits per variant, with latency summaries', () => {
    const s = new RolloutStats({ champion: '1', challenger: '2', since: '2025-01-01T00:00:00.000Z' });
    s.answered('champion', r('a', 'accepted', 1));
    s.answered('champion', r('b', 'review', 3));
    s.answered('champion', r('b', 'accepted', 0, true));
    s.answered('challenger', r('a', 'llm', 2));
    const f = s.figures();
    expect(f).toMatchObject({ since: '2025-01-01T00:00:00.000Z', champion: '1', challenger: '2' });
    expect(f.variants.champion).toMatchObject({ requests: 3, cached: 1, routes: { accepted: 2, llm: 0, review: 1 } });
    // a cache hit has no model time; its time to answer counts
    expect(f.variants.champion.latencyMs.model).toMatchObject({ p50: 2, max: 3 });
    expect(f.variants.champion.latencyMs.total).toMatchObject({ max: 4, mean: (2 + 4 + 1) / 3 });
    expect(f.variants.challenger).toMatchObject({ requests: 1, routes: { llm: 1 } });
    expect(f.variants.shadow.requests).toBe(0);
    expect(f.variants.shadow.latencyMs.model).toBeNull();
    expect(f.shadow.agreementRate).toBeNull();
  });

  it('measures shadow agreement on intent and route, and lists the top disagreements', () => {
    const s = new RolloutStats({ champion: '1', challenger: '2', since: 'x' });
    s.shadowed(r('a'), r('a'));
    s.shadowed(r('a', 'accepted'), r('a', 'review'));
    s.shadowed(r('a'), r('b'));
    s.shadowed(r('a'), r('b'));
    s.shadowed(r('c', 'review'), r('d', 'review'));
    s.shadowDropped(4);
    s.shadowFailed(1);
    const f = s.figures().shadow;
    expect(f).toMatchObject({ compared: 5, agreed: 2, sameRoute: 4, dropped: 4, errors: 1 });
    expect(f.agreementRate).toBeCloseTo(0.4, 10);
    expect(f.routeAgreementRate).toBeCloseTo(0.8, 10);
    expect(f.disagreements).toEqual([
      { champion: 'a', challenger: 'b', count: 2 },
      { champion: 'c', challenger: 'd', count: 1 },
    ]);
    expect(s.figures().variants.shadow.requests).toBe(5);
  });

  it('keeps latency over a bounded window of recent results', () => {
    const s = new RolloutStats({ champion: '1', challenger: null, since: 'x', window: 4 });
    for (const ms of [100, 100, 100, 1, 2, 3, 4]) s.answered('champion', r('a', 'accepted', ms));
    expect(s.figures().variants.champion.latencyMs.model!.max).toBe(4);
    expect(s.figures().variants.champion.requests).toBe(7);
  });
});
