import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metric, testServing, type TestServing } from '../../../../test/helpers/serving.js';
import { ReviewListSchema } from '../schemas.js';

/** Texts the sample model is unsure of (sent to review without an LLM). */
const UNSURE = ['hmm ok', 'well, what about it', 'so yeah'];

describe('review queue: one open item per text, bounded by review.maxOpen, true open count in the API', () => {
  let s: TestServing;
  beforeAll(async () => {
    s = await testServing({ flags: { review: { uri: 'sqlite::memory:', maxOpen: 2 } } });
  });
  afterAll(() => s?.close());

  it('repeats are counted on one item; beyond the bound a new text is not queued, and that is counted in /metrics', async () => {
    const classify = async (text: string) => (await s.post('/v1/classify', { text })).json();
    const first = await classify(UNSURE[0]);
    expect(first.route).toBe('review');
    const again = await classify('  HMM   ok ');
    expect(again.review.id).toBe(first.review.id);
    expect((await classify(UNSURE[0])).review.id).toBe(first.review.id);
    const second = await classify(UNSURE[1]);
    expect(second.review.id).not.toBe(first.review.id);

    const list = ReviewListSchema.parse(await (await s.get('/v1/review?state=open&limit=1')).json());
    expect(list.open).toBe(2);
    expect(list.items).toHaveLength(1);
    expect(list.items[0]).toMatchObject({ id: first.review.id, count: 3, text: UNSURE[0] });
    expect(list.items[0].lastSeenAt >= list.items[0].createdAt).toBe(true);

    // the queue is full (2 open): a new text keeps its answer but is not queued; a repeat still counts
    const over = await classify(UNSURE[2]);
    expect(over.route).toBe('review');
    expect(over.review).toBeUndefined();
    expect((await classify(UNSURE[1])).review.id).toBe(second.review.id);
    const m = await (await s.get('/metrics')).text();
    expect(metric(m, 'intentops_review_dropped_total{reason="queue_full"}')).toBe(1);
    expect(metric(m, 'intentops_review_max_open')).toBe(2);
    expect(ReviewListSchema.parse(await (await s.get('/v1/review')).json()).open).toBe(2);
  });
});

describe('review queue order: by expected value, explained; claim-next takes the first', () => {
  let s: TestServing;
  beforeAll(async () => {
    s = await testServing({ flags: { review: { uri: 'sqlite::memory:' } } });
  });
  afterAll(() => s?.close());

  it('GET /v1/review lists open items highest priority first, each with its parts; POST /v1/review/claim-next claims them in that order', async () => {
    const classify = async (text: string) => (await s.post('/v1/classify', { text })).json();
    const ids: Record<string, string> = {};
    for (const text of UNSURE) ids[text] = (await classify(text)).review.id;
    // near-duplicates of the last text: one item that now stands for 6 messages
    for (const text of ['So yeah!', 'so, yeah', 'SO YEAH', 'so yeah.', '  so   yeah ']) expect((await classify(text)).review.id).toBe(ids['so yeah']);

    const list = ReviewListSchema.parse(await (await s.get('/v1/review')).json());
    expect(list.next).toBeUndefined();
    expect(list.items[0]).toMatchObject({ id: ids['so yeah'], count: 6, priority: { count: 6 } });
    const scores = list.items.map((i) => i.priority!.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    for (const i of list.items) {
      const p = i.priority!;
      expect(p.score).toBeCloseTo(p.messages * p.doubt * p.weight * p.ageFactor, 12);
      expect(p.explanation).toMatch(new RegExp(`^\\d+\\.\\d recent messages? \\(${i.count} in all\\) × doubt ${p.doubt.toFixed(2)} \\(confidence \\d+%, margin \\d+%\\) × ${i.reason} weight ${p.weight.toFixed(1)} × waited \\d+ min`));
    }
    // the created order pages with next
    const created = ReviewListSchema.parse(await (await s.get('/v1/review?order=created&limit=2')).json());
    expect(created.items.map((i) => i.id)).toEqual([ids[UNSURE[0]], ids[UNSURE[1]]]);
    expect(created.next).toBe(ids[UNSURE[1]]);
    const bad = await s.get(`/v1/review?order=priority&after=${ids[UNSURE[0]]}`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/after pages the created order only/);

    const claimed: string[] = [];
    for (;;) {
      const r = await s.post('/v1/review/claim-next', {});
      if (r.status === 204) break;
      expect(r.status).toBe(200);
      const item = await r.json();
      expect(item).toMatchObject({ state: 'claimed', priority: { explanation: expect.any(String) } });
      claimed.push(item.id);
    }
    expect(claimed).toEqual(list.items.map((i) => i.id));
  });
});
