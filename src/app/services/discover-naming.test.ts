import { describe, expect, it } from 'vitest';
import type { DiscoveredCluster } from '../../core/discovery/discover.js';
import { LlmAnswerError } from '../../ports/llm.js';
import type { ClusterNameRequest, ClusterNamer } from '../../ports/cluster-namer.js';
import { openSpendCounter } from '../../adapters/spend/index.js';
import { LlmBudget } from './budget.js';
import { ClusterNameCache, nameClusters } from './discover-naming.js';

const cluster = (id: string, name: string, texts: string[]): DiscoveredCluster => ({
  id,
  name,
  nameSource: 'terms',
  terms: name.split('_'),
  items: texts.length,
  size: texts.length,
  growth: { firstHalf: 0, lastHalf: texts.length, ratio: null },
  representatives: texts.map((text, k) => ({ id: `${id}-${k}`, text })),
  reasons: { out_of_scope: 1 },
  topGuess: { intent: 'delivery', share: 1 },
  cohesion: 0.8,
  memberIds: texts.map((_, k) => `${id}-${k}`),
});

/** A namer answering from a table by the first message, counting calls; `fail` ones throw. */
function namer(names: Record<string, string | Error>): ClusterNamer & { calls: ClusterNameRequest[] } {
  const calls: ClusterNameRequest[] = [];
  return {
    name: 'table',
    calls,
    async nameCluster(req) {
      calls.push(req);
      const n = names[req.representatives[0]];
      if (n instanceof Error) throw n;
      return { name: n, model: 'table-1', usage: { promptTokens: 100, completionTokens: 5, costUsd: 0.001 }, latencyMs: 3 };
    },
  };
}

const LABELS = ['delivery', 'refund'];
const A = cluster('c-a', 'loyalty_points', ['points one', 'points two']);
const B = cluster('c-b', 'gift_wrap', ['wrap one', 'wrap two']);
const C = cluster('c-c', 'weather', ['weather one', 'weather two']);

describe('nameClusters', () => {
  it('uses an accepted suggestion, says the model and cost; a refused one keeps the terms name and says why', async () => {
    const n = namer({ 'points one': 'Loyalty Program', 'wrap one': 'refund', 'weather one': 'loyalty_program' });
    const { clusters, summary } = await nameClusters([A, B, C], LABELS, n);
    expect(clusters.map((c) => [c.name, c.nameSource])).toEqual([
      ['loyalty_program', 'llm'],
      ['gift_wrap', 'terms'],
      ['weather', 'terms'],
    ]);
    expect(clusters[0].naming).toEqual({ by: 'llm', model: 'table-1', costUsd: 0.001, latencyMs: 3 });
    expect(clusters[1].naming).toMatchObject({ by: 'terms', suggested: 'refund', why: expect.stringMatching(/already one of the model's intents/) });
    // the larger cluster keeps a name both were given
    expect(clusters[2].naming).toMatchObject({ by: 'terms', why: expect.stringMatching(/already suggested for another cluster/) });
    expect(summary).toEqual({ source: 'llm', named: 1, fellBack: 2, calls: 3, costUsd: 0.003, maxClusters: 20 });
    expect(n.calls[0]).toEqual({ representatives: ['points one', 'points two'], terms: ['loyalty', 'points'], existingIntents: LABELS, requestId: 'c-a' });
  });

  it('names at most maxClusters (the first, largest), and a failed call leaves the terms name', async () => {
    const n = namer({ 'points one': new LlmAnswerError('unusable naming answer: no JSON object', { promptTokens: 10, completionTokens: 2, costUsd: 0.0005 }, 'm'), 'wrap one': 'gift_wrapping' });
    const errors: unknown[] = [];
    const { clusters, summary } = await nameClusters([A, B, C], LABELS, n, { maxClusters: 2, onError: (e) => errors.push(e) });
    expect(n.calls).toHaveLength(2);
    expect(clusters.map((c) => c.name)).toEqual(['loyalty_points', 'gift_wrapping', 'weather']);
    expect(clusters[0].naming).toMatchObject({ by: 'terms', why: expect.stringMatching(/the LLM call failed: unusable naming answer/), costUsd: 0.0005 });
    expect(clusters[2].naming).toMatchObject({ by: 'terms', why: expect.stringMatching(/past the 2 largest clusters/) });
    expect(summary).toMatchObject({ named: 1, fellBack: 2, calls: 2, costUsd: 0.0015 });
    expect(errors).toHaveLength(1);
  });

  it('does not ask again for the same cluster and intents (cache), but does when the intents change', async () => {
    const n = namer({ 'points one': 'loyalty_program' });
    const cache = new ClusterNameCache(10);
    await nameClusters([A], LABELS, n, { cache });
    const again = await nameClusters([A], LABELS, n, { cache });
    expect(n.calls).toHaveLength(1);
    expect(again.clusters[0]).toMatchObject({ name: 'loyalty_program', nameSource: 'llm', naming: { cached: true, costUsd: 0 } });
    expect(again.summary).toMatchObject({ calls: 0, costUsd: 0 });
    await nameClusters([A], [...LABELS, 'loyalty_program'], n, { cache });
    expect(n.calls).toHaveLength(2);
  });

  it('the cache is bounded, least recently used out', () => {
    const cache = new ClusterNameCache(2);
    cache.set('a', { name: 'a', model: 'm' });
    cache.set('b', { name: 'b', model: 'm' });
    cache.get('a');
    cache.set('c', { name: 'c', model: 'm' });
    expect([cache.get('a'), cache.get('b'), cache.get('c')].map((x) => x?.name)).toEqual(['a', undefined, 'c']);
  });

  it('under the daily budget: costs are counted, and with the hard cap a spent budget declines (terms names, no call)', async () => {
    let now = Date.UTC(2026, 5, 1, 12);
    const budget = new LlmBudget(await openSpendCounter('memory'), { dailyUsd: 0.0015, hardCap: true, now: () => now });
    const inner = namer({ 'points one': 'loyalty_program', 'wrap one': 'gift_wrapping', 'weather one': 'weather_questions' });
    const n = budget.wrapNamer(inner);
    const first = await nameClusters([A], LABELS, n);
    expect(first.summary.named).toBe(1);
    await nameClusters([B], LABELS, n);
    expect((await budget.status()).spentUsd).toBeCloseTo(0.002);
    const capped = await nameClusters([C], LABELS, n);
    expect(inner.calls).toHaveLength(2);
    expect(capped.clusters[0]).toMatchObject({ nameSource: 'terms', naming: { by: 'terms', why: expect.stringMatching(/not asked: daily LLM budget/) } });
    expect(capped.summary.calls).toBe(0);
    // a new day: asked again
    now += 86_400_000;
    expect((await nameClusters([C], LABELS, n)).clusters[0].name).toBe('weather_questions');
    await budget.close();
  });
});
