import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainModel } from '../../src/app/container/index.js';
import { ReviewListSchema } from '../../src/app/http/schemas.js';
import { loadExamples } from '../../src/app/services/dataset.js';
import { SAMPLE_TRAIN, tempDir } from '../helpers/sample.js';
import { testServing, type TestServing } from '../helpers/serving.js';

const MODEL_DIR = resolve(import.meta.dirname, '../../../shared/models/all-MiniLM-L6-v2-q4');
const HAVE_MODEL = existsSync(join(MODEL_DIR, 'onnx', 'model_q4.onnx'));

/**
 * Paraphrase grouping as served by default (review.groupParaphrases auto) with the MiniLM
 * sentence encoder: the sample model trained on it, out-of-scope paraphrases sent to /v1/classify.
 * Their cosine similarities under this encoder (measured): the two weather questions 0.95, the two
 * pizza questions 0.91 (both at or above 0.90: grouped), the two joke requests 0.79 (a paraphrase
 * the threshold leaves apart), across topics 0.03–0.18.
 */
describe.skipIf(!HAVE_MODEL)('review queue groups paraphrases with the onnx embedder by default (needs ../shared/models/all-MiniLM-L6-v2-q4)', () => {
  let s: TestServing;
  beforeAll(async () => {
    // every third row of the sample data: the encoder's time is most of the test's
    const dir = tempDir('intentops-onnx-model-');
    const rows = (await loadExamples(SAMPLE_TRAIN)).examples.filter((_, i) => i % 3 === 0);
    writeFileSync(join(dir, 'train.jsonl'), rows.map((r) => JSON.stringify({ text: r.text, label: r.label })).join('\n') + '\n');
    const out = join(dir, 'model');
    await trainModel({ data: join(dir, 'train.jsonl'), out, embedder: 'onnx', embedderOptions: { onnx: { modelDir: MODEL_DIR, threads: 2 } }, seed: 7, name: 'sample-onnx' });
    s = await testServing({ modelDir: out, flags: { onnx: { modelDir: MODEL_DIR } } });
  }, 300_000);
  afterAll(() => s?.close());

  it('counts paraphrases on one item; other topics and looser paraphrases stay items of their own', async () => {
    const texts = ["What's the weather like in Berlin today", 'can you recommend a good pizza place nearby', 'what is the weather in Berlin today', 'tell me a joke', 'recommend me a good pizza place near here', 'tell me a funny joke please'];
    for (const text of texts) expect((await (await s.post('/v1/classify', { text })).json()).route).toBe('review');
    const items = ReviewListSchema.parse(await (await s.get('/v1/review?state=open&order=created')).json()).items;
    expect(items.map((i) => [i.text, i.count])).toEqual([
      ["What's the weather like in Berlin today", 2],
      ['can you recommend a good pizza place nearby', 2],
      ['tell me a joke', 1],
      ['tell me a funny joke please', 1],
    ]);
    // the count feeds the expected value as repeats do
    const byPriority = ReviewListSchema.parse(await (await s.get('/v1/review?state=open')).json()).items;
    const weather = byPriority.find((i) => i.text.startsWith("What's the weather"))!;
    expect(weather.priority).toMatchObject({ count: 2 });
    expect(weather.priority!.explanation).toMatch(/\(2 in all\)/);
  });
});
