import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openReviewStore } from '../../adapters/review-store/index.js';
import { tempDir } from '../../../test/helpers/sample.js';
import { testServing, type TestServing } from '../../../test/helpers/serving.js';
import { hashKey } from './auth.js';
import { ReviewItemSchema, ReviewListSchema } from './schemas.js';

const ANA = 'sk-ana-reviewer';
const BEN = 'sk-ben-reviewer';
const UNSURE = ['hmm ok', 'well then', 'so anyway'];

describe('review queue over the API (SQLite file)', () => {
  let s: TestServing;
  let db: string;
  const ana = { authorization: `Bearer ${ANA}` };
  const ben = { 'x-api-key': BEN };

  beforeAll(async () => {
    db = join(tempDir(), 'review.db');
    s = await testServing({
      flags: { review: { uri: `sqlite:${db}` }, server: { apiKeys: [{ name: 'ana', sha256: hashKey(ANA) }, { name: 'ben', sha256: hashKey(BEN) }] } },
    });
    for (const text of UNSURE) expect((await (await s.post('/v1/classify', { text }, ana)).json()).route).toBe('review');
  });
  afterAll(() => s.close());

  it('lists open items oldest first with order=created, paged with next/after', async () => {
    const page1 = ReviewListSchema.parse(await (await s.get('/v1/review?state=open&limit=2&order=created', ana)).json());
    expect(page1.items.map((i) => i.text)).toEqual(UNSURE.slice(0, 2));
    expect(page1.next).toBe(page1.items[1].id);
    const page2 = ReviewListSchema.parse(await (await s.get(`/v1/review?limit=2&after=${page1.next}`, ana)).json());
    expect(page2.items.map((i) => i.text)).toEqual([UNSURE[2]]);
    expect(page2.next).toBeUndefined();
    // small talk is none of the sample's intents: the novelty detector flags it
    const item = page1.items[0];
    expect(item).toMatchObject({ state: 'open', reason: 'out_of_scope', model: { name: 'sample' } });
    expect(item.alternatives.length).toBe(3);
    expect(item.guess).toBe(item.alternatives[0].intent);
  });

  it('claim → label: the reviewer is the API key name; the label becomes a training example', async () => {
    const [item] = ReviewListSchema.parse(await (await s.get('/v1/review?limit=1', ana)).json()).items;
    const claimed = ReviewItemSchema.parse(await (await s.post(`/v1/review/${item.id}/claim`, '', ana)).json());
    expect(claimed).toMatchObject({ id: item.id, state: 'claimed', claimedBy: 'ana' });
    const res = await s.post(`/v1/review/${item.id}/label`, { label: 'general_question' }, ana);
    expect(res.status).toBe(200);
    expect(ReviewItemSchema.parse(await res.json())).toMatchObject({ state: 'labelled', label: 'general_question', labelledBy: 'ana' });
    const labelled = ReviewListSchema.parse(await (await s.get('/v1/review?state=labelled', ana)).json());
    expect(labelled.items.map((i) => i.id)).toEqual([item.id]);
    // the same SQLite file, read by another process later: the example for retraining is there
    const store = await openReviewStore(`sqlite:${db}`);
    try {
      expect(await store.labelled()).toEqual([{ id: item.id, text: item.text, label: 'general_question' }]);
    } finally {
      await store.close();
    }
  });

  it('someone else claiming a claimed item: 409; an unknown id: 404; an unknown intent: 400 listing the intents', async () => {
    const [item] = ReviewListSchema.parse(await (await s.get('/v1/review?limit=1', ana)).json()).items;
    expect((await s.post(`/v1/review/${item.id}/claim`, {}, ben)).status).toBe(200);
    const conflict = await s.post(`/v1/review/${item.id}/claim`, '', ana);
    expect(conflict.status).toBe(409);
    expect((await conflict.json()).type).toBe('urn:intentops:problem:conflict');
    const missing = await s.post('/v1/review/01NOPE0000000000000000000/claim', '', ana);
    expect(missing.status).toBe(404);
    const typo = await s.post(`/v1/review/${item.id}/label`, { label: 'deliverry' }, ben);
    expect(typo.status).toBe(400);
    expect((await typo.json()).detail).toMatch(/unknown intent "deliverry".*use one of the model's intents \(.*delivery.*out_of_scope/);
    const skipped = await s.post(`/v1/review/${item.id}/skip`, '', ben);
    expect(ReviewItemSchema.parse(await skipped.json()).state).toBe('skipped');
    expect((await s.post(`/v1/review/${item.id}/label`, { label: 'delivery' }, ben)).status).toBe(409);
  });

  it('validates the query and the body', async () => {
    const bad = await s.get('/v1/review?state=closed&limit=0&colour=red', ana);
    expect(bad.status).toBe(400);
    const fields = ((await bad.json()).errors as { field: string }[]).map((e) => e.field);
    expect(fields).toEqual(['state', 'limit', 'colour']);
    const body = await s.post('/v1/review/x/label', { label: 3 }, ana);
    expect((await body.json()).errors).toEqual([{ field: 'label', message: 'must be a string' }]);
    expect((await s.post('/v1/review/x/claim', { who: 'me' }, ana)).status).toBe(400);
  });

  it('needs an API key', async () => {
    expect((await s.get('/v1/review')).status).toBe(401);
  });
});

describe('without a review store', () => {
  it('review routes answer 503 saying how to configure one; unsure messages still get 200', async () => {
    const s = await testServing({ flags: { review: { uri: 'none' } } });
    try {
      const res = await s.get('/v1/review');
      expect(res.status).toBe(503);
      expect((await res.json()).detail).toMatch(/set review.uri/);
      const r = await (await s.post('/v1/classify', { text: 'hmm ok' })).json();
      expect(r.route).toBe('review');
      expect(r.review).toBeUndefined();
    } finally {
      await s.close();
    }
  });
});
