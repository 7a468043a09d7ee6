import { describe, expect, it } from 'vitest';
import { addMessage, AGE_RATE, doubtOf, groupKey, hoursOf, messageLog, priorityOf, rankKey, RECENT_RATE, type ScoredItem } from './index.js';

const T0 = Date.UTC(2026, 0, 1);
const H = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

function item(over: Partial<ScoredItem> = {}): ScoredItem {
  return {
    reason: 'low_confidence',
    guess: 'card_lost',
    confidence: 0.5,
    alternatives: [
      { intent: 'card_lost', score: 0.5 },
      { intent: 'card_stolen', score: 0.3 },
    ],
    count: 1,
    createdAt: iso(T0),
    lastSeenAt: iso(T0),
    ...over,
  };
}

/** The stored rank of an item whose messages came at `times` (the first one created it). */
function storedRank(it: ScoredItem, times: readonly number[]): number {
  let log = messageLog(times[0]);
  for (const t of times.slice(1)) log = addMessage(log, t);
  return rankKey(it, times[0], log);
}

describe('review priority', () => {
  it('grows with the messages an item stands for', () => {
    const scores = [1, 2, 5, 50].map((count) => priorityOf(item({ count, weightedCount: count }), T0).score);
    for (let i = 1; i < scores.length; i++) expect(scores[i]).toBeGreaterThan(scores[i - 1]);
    expect(scores[1] / scores[0]).toBeCloseTo(2, 10);
  });

  it('grows with the doubt: lower confidence and a smaller margin score higher', () => {
    const byConfidence = [0.9, 0.7, 0.5, 0.2].map((c) => priorityOf(item({ confidence: c, alternatives: [{ intent: 'x', score: 0.05 }] }), T0).score);
    for (let i = 1; i < byConfidence.length; i++) expect(byConfidence[i]).toBeGreaterThan(byConfidence[i - 1]);
    const byRunnerUp = [0.1, 0.3, 0.45].map((s) => priorityOf(item({ alternatives: [{ intent: 'card_lost', score: 0.5 }, { intent: 'y', score: s }] }), T0).score);
    for (let i = 1; i < byRunnerUp.length; i++) expect(byRunnerUp[i]).toBeGreaterThan(byRunnerUp[i - 1]);
    // never zero: a sure-looking message still has a value
    expect(doubtOf(item({ confidence: 1, alternatives: [] }))).toBe(0.05);
  });

  it('weighs reasons: a failed LLM call over a low confidence over out of scope; audit items have a fixed doubt', () => {
    const of = (reason: string) => priorityOf(item({ reason }), T0);
    expect(of('llm_failed').score).toBeGreaterThan(of('low_confidence').score);
    expect(of('low_confidence').score).toBeGreaterThan(of('unfamiliar').score);
    expect(of('unfamiliar').score).toBeGreaterThan(of('out_of_scope').score);
    const audit = priorityOf(item({ reason: 'audit', confidence: 0.99, alternatives: [] }), T0);
    expect(audit.doubt).toBe(1);
    expect(audit.weight).toBe(0.5);
    expect(audit.explanation).toContain('audit check');
  });

  it('a message counts less as it ages (half after 7 days)', () => {
    const fresh = priorityOf(item({ weightedCount: 1 }), T0);
    expect(priorityOf(item({ weightedCount: 1, createdAt: iso(T0 + 168 * H), lastSeenAt: iso(T0) }), T0 + 168 * H).messages).toBeCloseTo(0.5, 10);
    expect(fresh.messages).toBe(1);
  });

  it('age prevents starvation: a lone, nearly sure item overtakes a stream of fresh busy items after waiting', () => {
    const lone = item({ confidence: 0.99, alternatives: [], reason: 'out_of_scope', count: 1, weightedCount: 1 });
    const busy = (at: number) => item({ confidence: 0.1, alternatives: [], reason: 'llm_failed', count: 100, weightedCount: 100, createdAt: iso(at), lastSeenAt: iso(at) });
    expect(priorityOf(lone, T0).score).toBeLessThan(priorityOf(busy(T0), T0).score / 1000);
    let day = 0;
    while (priorityOf(lone, T0 + day * 24 * H).score <= priorityOf(busy(T0 + day * 24 * H), T0 + day * 24 * H).score) day++;
    // a 1:3,600 gap in value closes in days, not never: ×2 per day waited, ×0.91 per day of message age
    expect(priorityOf(busy(T0), T0).score / priorityOf(lone, T0).score).toBeCloseTo(3600, 6);
    expect(day).toBe(14);
  });

  it('the stored rank orders items as their scores do, at any later time (the time term is shared)', () => {
    const a = item({ count: 3 });
    const aTimes = [T0, T0 + 2 * H, T0 + 30 * H];
    const b = item({ confidence: 0.2, alternatives: [], createdAt: iso(T0 + 20 * H), lastSeenAt: iso(T0 + 20 * H) });
    const c = item({ reason: 'audit', createdAt: iso(T0 + 5 * H), lastSeenAt: iso(T0 + 5 * H) });
    const ranks = { a: storedRank(a, aTimes), b: storedRank(b, [T0 + 20 * H]), c: storedRank(c, [T0 + 5 * H]) };
    let weightedA = 0;
    for (const t of aTimes) weightedA += 2 ** (-(T0 + 30 * H - t) / H / 168);
    const items = { a: { ...a, weightedCount: weightedA, lastSeenAt: iso(T0 + 30 * H) }, b, c };
    for (const now of [T0 + 31 * H, T0 + 100 * H, T0 + 2000 * H]) {
      const scores = Object.fromEntries(Object.entries(items).map(([k, v]) => [k, priorityOf(v, now).score]));
      for (const k of ['a', 'b', 'c'] as const) expect(Math.log(scores[k])).toBeCloseTo(ranks[k] + hoursOf(now) * (AGE_RATE - RECENT_RATE), 8);
      const byScore = Object.keys(scores).sort((x, y) => scores[y] - scores[x]);
      const byRank = (Object.keys(ranks) as (keyof typeof ranks)[]).sort((x, y) => ranks[y] - ranks[x]);
      expect(byScore).toEqual(byRank);
    }
  });

  it('explains itself with every part', () => {
    const p = priorityOf(item({ count: 4, weightedCount: 4, createdAt: iso(T0 - 30 * H), lastSeenAt: iso(T0) }), T0);
    expect(p.explanation).toMatch(/^4\.0 recent messages \(4 in all\) × doubt 0\.65 \(confidence 50%, margin 20%\) × low_confidence weight 0\.8 × waited 30 h \(×2\.38\) = 4\.94\d$/);
    expect(p.score).toBeCloseTo(4 * 0.65 * 0.8 * 2 ** (30 / 24), 10);
  });
});

describe('groupKey', () => {
  it('groups near-duplicates (case, punctuation, apostrophes, spacing) and nothing else', () => {
    expect(groupKey("I can't log in!!")).toBe(groupKey('i  cant log in'));
    expect(groupKey('Where is my card?')).toBe(groupKey('where is my card'));
    expect(groupKey('where is my card')).not.toBe(groupKey('where is my cards'));
  });
});
