import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openReviewStore } from '../../adapters/review-store/index.js';
import type { NewReviewItem, ReviewStore } from '../../ports/review-store.js';
import { defaultParaphraseSimilarity, ReviewParaphrases } from './paraphrases.js';

const v = (...xs: number[]) => Float32Array.from(xs);
const item = (text: string, version = '1'): NewReviewItem => ({ text, guess: 'card_lost', confidence: 0.4, alternatives: [], reason: 'low_confidence', model: { name: 'm', version } });

describe('ReviewParaphrases (SQLite review store)', () => {
  let store: ReviewStore;
  beforeEach(async () => {
    store = await openReviewStore('sqlite::memory:');
  });
  afterEach(() => store.close());
  const grouper = () => new ReviewParaphrases({ minSimilarity: (e) => (e === 'onnx' ? 0.9 : undefined) });

  it('counts a paraphrase on the waiting item (its first text kept), and a different message as a new item', async () => {
    const g = grouper();
    const a = await g.add(store, item('I lost my card'), v(1, 0.05, 0), 'onnx');
    const b = await g.add(store, item('my card is lost'), v(1, 0.1, 0), 'onnx');
    const c = await g.add(store, item('how do I get a refund'), v(0, 1, 0), 'onnx');
    expect(b.id).toBe(a.id);
    expect(b).toMatchObject({ text: 'I lost my card', count: 2 });
    expect(c.id).not.toBe(a.id);
    expect((await store.list({ state: 'open' })).map((i) => [i.text, i.count])).toEqual([
      ['I lost my card', 2],
      ['how do I get a refund', 1],
    ]);
    expect(g.stats()).toEqual({ merged: 1, stale: 0, held: 2 });
  });

  it('a labelled item lends its text to no one: the paraphrase becomes an item of its own', async () => {
    const g = grouper();
    const a = await g.add(store, item('I lost my card'), v(1, 0, 0), 'onnx');
    await store.claim(a.id, 'ana');
    await store.resolve(a.id, 'ana', { label: 'card_lost' });
    const b = await g.add(store, item('my card is lost'), v(1, 0.1, 0), 'onnx');
    expect(b.id).not.toBe(a.id);
    expect(b).toMatchObject({ text: 'my card is lost', count: 1 });
    expect(g.stats()).toMatchObject({ merged: 0, stale: 1 });
    // and the new item is the one later paraphrases join
    expect((await g.add(store, item('card lost!'), v(1, 0.12, 0), 'onnx')).id).toBe(b.id);
  });

  it('groups within a model version only, and not at all for an embedder without a threshold or without a vector', async () => {
    const g = grouper();
    const a = await g.add(store, item('I lost my card', '1'), v(1, 0, 0), 'onnx');
    expect((await g.add(store, item('my card is lost', '2'), v(1, 0, 0), 'onnx')).id).not.toBe(a.id);
    expect((await g.add(store, item('card is lost', '1'), v(1, 0, 0), 'hashed')).text).toBe('card is lost');
    expect((await g.add(store, item('lost the card', '1'), undefined, 'onnx')).text).toBe('lost the card');
    expect((await store.list({ state: 'open' })).length).toBe(4);
  });

  it('a store known to be away is not read: the message keeps its own text; a read-back past its deadline likewise, the match kept', async () => {
    let up = true;
    let gets = 0;
    let slow = false;
    const watched: ReviewStore = Object.assign(Object.create(store) as ReviewStore, {
      get: async (id: string) => {
        gets++;
        if (slow) await new Promise((r) => setTimeout(r, 200));
        return store.get(id);
      },
      add: (i: NewReviewItem) => store.add(i),
    });
    const g = new ReviewParaphrases({ minSimilarity: () => 0.9, storeUp: () => up, readBackMs: 50 });
    const a = await g.add(watched, item('I lost my card'), v(1, 0, 0), 'onnx');
    up = false;
    expect((await g.add(watched, item('my card is lost'), v(1, 0.1, 0), 'onnx')).text).toBe('my card is lost');
    expect(gets).toBe(0);
    up = true;
    slow = true;
    expect((await g.add(watched, item('card lost'), v(1, 0.1, 0), 'onnx')).text).toBe('card lost');
    expect(gets).toBe(1);
    slow = false;
    expect((await g.add(watched, item('lost card'), v(1, 0, 0), 'onnx')).id).toBe(a.id);
    expect(g.stats()).toMatchObject({ merged: 1, stale: 0 });
  });

  it('auto: the measured threshold for sentence encoders (alone or combined), none for the hashed embedder', () => {
    expect(defaultParaphraseSimilarity('onnx')).toBe(0.9);
    expect(defaultParaphraseSimilarity('hashed+onnx')).toBe(0.9);
    expect(defaultParaphraseSimilarity('openai')).toBe(0.9);
    expect(defaultParaphraseSimilarity('hashed')).toBeUndefined();
  });
});
