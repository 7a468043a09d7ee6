import { afterEach, describe, expect, it } from 'vitest';
import { openReviewStore } from '../../adapters/review-store/index.js';
import { IntentOpsError } from '../../core/errors.js';
import type { Embedding } from '../../core/types.js';
import type { ReviewStore } from '../../ports/review-store.js';
import { defaultMinSimilarity, DiscoverService, parseWindow, type DiscoverQueue } from './discover.js';
import { ReviewService } from './review.js';

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 5, 1, 12);

/** A fake embedder: one axis per topic word, so the clusters are known. */
const embedder = {
  name: 'fake',
  async embed(texts: readonly string[]): Promise<Embedding[]> {
    return texts.map((t) => ({ dense: Float32Array.from(['points', 'wrap', 'weather'].map((w, k) => (t.includes(w) ? 1 : 0) + 0.01 * k)) }));
  },
};

describe('DiscoverService', () => {
  let store: ReviewStore;
  afterEach(() => store?.close());

  async function queue(texts: readonly string[]): Promise<string[]> {
    store = await openReviewStore('sqlite::memory:');
    const ids: string[] = [];
    for (const [k, text] of texts.entries())
      ids.push((await store.add({ text, guess: 'delivery', confidence: 0.2, alternatives: [], reason: 'out_of_scope', model: { name: 'm', version: '1' } }, { at: new Date(NOW - (k + 1) * HOUR).toISOString() })).id);
    return ids;
  }
  const service = (q: DiscoverQueue = new ReviewService(store, () => ['delivery', 'refund'])) => new DiscoverService({ queue: q, embedder, labels: ['delivery', 'refund'], now: () => NOW });
  const loyalty = ['points one', 'points two', 'points three', 'points four'];
  const gift = ['wrap one', 'wrap two', 'wrap three'];

  it('clusters only the most recent items above the bound, and says so', async () => {
    await queue([...loyalty, ...gift]);
    const r = await service().discover({ maxItems: 5, minSimilarity: 0.9 });
    expect(r.items).toMatchObject({ open: 7, selected: 7, clustered: 5 });
    expect(r.truncated).toMatch(/7 items selected, more than the 5 clustered at once: only the 5 most recently seen/);
    // the 5 most recent are the 4 loyalty ones and the first gift one: one cluster
    expect(r.clusters.map((c) => c.items)).toEqual([4]);
  });

  it('labels a cluster with one of the model intents as that intent, not a new one', async () => {
    await queue([...loyalty, ...gift]);
    const d = service();
    const [first] = (await d.discover({ minSimilarity: 0.9 })).clusters;
    const r = await d.accept(first.id, 'refund', 'ana', { minSimilarity: 0.9 });
    expect(r).toMatchObject({ label: 'refund', newIntent: false, failed: [] });
    expect(r.labelled.map((i) => i.label)).toEqual(['refund', 'refund', 'refund', 'refund']);
  });

  it('refuses an unusable new intent name before labelling anything, and reports members it could not label', async () => {
    const ids = await queue(loyalty);
    const d = service();
    const [c] = (await d.discover({ minSimilarity: 0.9 })).clusters;
    const bad = await d.accept(c.id, ' bad name', 'ana', { minSimilarity: 0.9 }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(IntentOpsError);
    expect((await store.list({ state: 'open' })).length).toBe(4);
    // someone claims a member meanwhile: the others are labelled, that one is reported
    const svc = new ReviewService(store);
    const claimedLater: DiscoverQueue = {
      list: (q) => svc.list(q),
      label: async (id, who, label, o) => {
        if (id === c.memberIds[0]) await store.claim(c.memberIds[2], 'bob');
        return svc.label(id, who, label, o);
      },
    };
    const r = await service(claimedLater).accept(c.id, 'loyalty_points', 'ana', { minSimilarity: 0.9 });
    expect(r.newIntent).toBe(true);
    expect(r.labelled.map((i) => i.id)).toEqual(c.memberIds.filter((id) => id !== c.memberIds[2]));
    expect(r.failed).toEqual([{ id: c.memberIds[2], error: expect.stringMatching(/claimed by "bob"/) }]);
    expect(ids.sort()).toEqual([...c.memberIds]);
  });

  it('parses windows and picks a similarity per embedder', () => {
    expect(parseWindow('7d')).toBe(7 * 24 * HOUR);
    expect(parseWindow('24h')).toBe(24 * HOUR);
    expect(parseWindow('90m')).toBe(90 * 60_000);
    expect(parseWindow('2w')).toBe(14 * 24 * HOUR);
    expect(() => parseWindow('0d')).toThrow(/duration/);
    expect(() => parseWindow('soon')).toThrow(/duration/);
    expect(defaultMinSimilarity('hashed')).toBe(0.2);
    expect(defaultMinSimilarity('onnx')).toBe(0.55);
    expect(defaultMinSimilarity('hashed+onnx')).toBe(0.55);
    expect(defaultMinSimilarity('onnx+hashed')).toBe(0.2);
    expect(defaultMinSimilarity('openai')).toBe(0.4);
  });
});
