import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/sample.js';
import { testServing, type TestServing } from '../../../test/helpers/serving.js';
import { ReviewListSchema } from './schemas.js';

/**
 * The serving wiring of paraphrase grouping (review.groupParaphrases): the vectors the model
 * classified the messages from reach the review queue. The sample model's hashed embedder is not
 * grouped by default (auto), so a similarity is set here.
 */
describe('review queue: paraphrases counted on one item (review.groupParaphrases)', () => {
  const PARAPHRASES = ['hmm ok so anyway', 'so anyway hmm ok then', 'ok so hmm anyway'];
  const serve = (groupParaphrases: unknown) => testServing({ flags: { review: { uri: `sqlite:${join(tempDir(), 'review.db')}`, groupParaphrases } } });
  let grouped: TestServing;
  let auto: TestServing;
  beforeAll(async () => {
    [grouped, auto] = await Promise.all([serve(0.5), serve('auto')]);
  });
  afterAll(async () => {
    await grouped?.close();
    await auto?.close();
  });

  it('one item with a count when set; one item per text with auto on the hashed embedder', async () => {
    for (const s of [grouped, auto]) for (const text of PARAPHRASES) expect((await (await s.post('/v1/classify', { text })).json()).route).toBe('review');
    const one = ReviewListSchema.parse(await (await grouped.get('/v1/review?state=open')).json()).items;
    expect(one.map((i) => [i.text, i.count])).toEqual([[PARAPHRASES[0], 3]]);
    const metrics = await (await grouped.get('/metrics')).text();
    expect(metrics).toMatch(/^intentops_review_paraphrases_merged_total 2$/m);
    expect(metrics).toMatch(/^intentops_review_paraphrases_held 1$/m);
    const each = ReviewListSchema.parse(await (await auto.get('/v1/review?state=open&order=created')).json()).items;
    expect(each.map((i) => [i.text, i.count])).toEqual(PARAPHRASES.map((t) => [t, 1]));
  });
});
