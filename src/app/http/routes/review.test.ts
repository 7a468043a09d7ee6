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
