import { describe, expect, it } from 'vitest';
import { clusterId, discoverClusters, type DiscoveryItem } from './discover.js';
import { distinctiveTerms, nameFromTerms, tokens } from './terms.js';

describe('terms', () => {
  it('tokenises into lower-case words without stop words, numbers or short words', () => {
    expect(tokens("Where's my Loyalty-Points balance? I have 250 pts, bitte!")).toEqual(['wheres', 'loyalty', 'points', 'balance', 'pts']);
  });

  it('ranks the terms a group shares and the rest lacks (c-TF-IDF), and names from them', () => {
    const docs = [
      'how many loyalty points do I have',
      'my loyalty points balance is wrong',
      'redeem loyalty points for a voucher',
      'can you gift wrap my order',
      'is gift wrapping available',
      'my order is late',
    ];
    const [loyalty, gift] = distinctiveTerms(docs, [
      [0, 1, 2],
      [3, 4],
    ]);
    expect(loyalty.slice(0, 2).map((t) => t.term)).toEqual(['loyalty', 'points']);
    expect(loyalty.every((t) => t.docs >= 2)).toBe(true);
    // "order" is in one member of the group only
    expect(gift.map((t) => t.term)).toEqual(['gift']);
    expect(nameFromTerms(loyalty)).toBe('loyalty_points');
    expect(nameFromTerms(gift)).toBe('gift');
    expect(nameFromTerms([])).toBeUndefined();
  });

  it('skips a term sharing its first letters with one taken, and a weak third term', () => {
    const t = (term: string, score: number) => ({ term, score, docs: 2 });
    expect(nameFromTerms([t('gift', 3), t('wrapping', 2.9), t('wrap', 2.8), t('paper', 2)])).toBe('gift_wrapping_paper');
    expect(nameFromTerms([t('gift', 3), t('wrapping', 2.9), t('paper', 1)])).toBe('gift_wrapping');
  });
});

describe('discoverClusters', () => {
  const day = 86_400_000;
  const from = Date.UTC(2026, 0, 1);
  const to = from + 7 * day;
  const item = (id: string, text: string, o: Partial<DiscoveryItem> = {}): DiscoveryItem => ({ id, text, reason: 'out_of_scope', guess: 'general_question', count: 1, createdAt: from + day, lastSeenAt: from + day, ...o });
  const items = [
    item('a1', 'how many loyalty points do I have', { createdAt: from + 6 * day, lastSeenAt: from + 6 * day }),
    item('a2', 'my loyalty points balance', { count: 3, lastSeenAt: from + 5 * day }),
    item('a3', 'redeem loyalty points', { reason: 'low_confidence', guess: 'payment_issue', createdAt: from + 5 * day, lastSeenAt: from + 5 * day }),
    item('b1', 'gift wrap my order please'),
    item('b2', 'is gift wrapping possible'),
    item('b3', 'gift wrap for a birthday'),
    item('z', 'my parcel is late'),
  ];
  // hand-made embeddings: topic a along x, topic b along y, the stray one along z
  const vec = (x: number, y: number, z: number) => Float32Array.from([x, y, z]);
  const vectors = [vec(1, 0.1, 0), vec(1, 0, 0.1), vec(0.9, 0.1, 0.1), vec(0, 1, 0.1), vec(0.1, 1, 0), vec(0, 0.9, 0.2), vec(0, 0, 1)];

  it('describes each cluster: stable id, size with repeats, growth, centre, reasons, guess, name', () => {
    const cs = discoverClusters(items, vectors, { minSimilarity: 0.8, minSize: 3, from, to });
    expect(cs).toHaveLength(2);
    const [a, b] = cs;
    expect(a.memberIds).toEqual(['a1', 'a2', 'a3']);
    expect(a.id).toBe(clusterId(['a3', 'a1', 'a2']));
    expect(a.id).toMatch(/^c-[0-9a-f]{10}$/);
    expect(a.items).toBe(3);
    expect(a.size).toBe(5);
    // a1 (day 6) and a3 (day 5) first seen in the last half, a2 first on day 1 and twice more on day 5
    expect(a.growth).toEqual({ firstHalf: 1, lastHalf: 4, ratio: 4 });
    expect(a.reasons).toEqual({ out_of_scope: 0.8, low_confidence: 0.2 });
    expect(a.topGuess).toEqual({ intent: 'general_question', share: 0.8 });
    expect(a.name).toBe('loyalty_points');
    expect(a.representatives).toHaveLength(3);
    expect(b.memberIds).toEqual(['b1', 'b2', 'b3']);
    expect(b.name).toBe('gift_wrap');
    expect(b.growth).toEqual({ firstHalf: 3, lastHalf: 0, ratio: 0 });
    expect(b.cohesion).toBeGreaterThan(0.9);
  });

  it('puts the most central message first', () => {
    const [, b] = discoverClusters(items, vectors, { minSimilarity: 0.8, minSize: 3, from, to, representatives: 1 });
    // the mean direction of b1, b2, b3 is closest to b1's (0, 1, 0.1)
    expect(b.representatives).toEqual([{ id: 'b1', text: 'gift wrap my order please' }]);
  });

  it('is deterministic, and leaves out clusters under the minimum size', () => {
    const p = { minSimilarity: 0.8, minSize: 3, from, to };
    expect(discoverClusters(items, vectors, p)).toEqual(discoverClusters(items, vectors, p));
    expect(discoverClusters(items, vectors, { ...p, minSize: 4 })).toEqual([]);
  });
});
