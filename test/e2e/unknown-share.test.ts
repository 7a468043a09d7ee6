import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readBundle } from '../../src/adapters/bundle/index.js';
import { modelFromBundle } from '../../src/app/container/index.js';
import type { IntentModel } from '../../src/app/classify/model.js';
import { trainBundle } from '../helpers/trained.js';
import { SHARED, tempDir } from '../helpers/sample.js';

/**
 * Serving follows the share of unknown messages in its own traffic: a bundle trained on half of
 * BANKING77's intents sees traffic where first few, then most messages are of the other half.
 */
describe('the unknown share tracked from traffic', () => {
  let model: IntentModel;
  let known: string[];
  let unknown: string[];
  beforeAll(async () => {
    const rows = (f: string) => readFileSync(join(SHARED, 'datasets', 'banking77', f), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { text: string; label: string });
    const train = rows('train.jsonl');
    const labels = [...new Set(train.map((r) => r.label))].sort();
    const mine = new Set(labels.filter((_, i) => i % 2 === 0));
    const work = tempDir('intentops-share-');
    const data = join(work, 'train.jsonl');
    writeFileSync(data, train.filter((r) => mine.has(r.label)).map((r) => JSON.stringify(r)).join('\n') + '\n');
    await trainBundle({ data, out: join(work, 'm'), embedder: 'hashed', seed: 5 });
    model = await modelFromBundle(readBundle(join(work, 'm')));
    const test = rows('test.jsonl');
    known = test.filter((r) => mine.has(r.label)).map((r) => r.text);
    unknown = test.filter((r) => !mine.has(r.label)).map((r) => r.text);
  }, 300_000);

  it('starts at the bundle default, rises with unknown traffic and falls back with known traffic; more is flagged while it is high', async () => {
    expect(model.detectsNovelty).toBe(true);
    expect(model.unknownShare).toBeCloseTo(0.1, 9);
    model.trackUnknownShare({ window: 600, minSamples: 300, every: 100 });
    // 600 messages, 80 % of them unknown
    const mixed = Array.from({ length: 600 }, (_, i) => (i % 5 === 0 ? known[i % known.length] : unknown[i % unknown.length]));
    const before = await model.classify(mixed.slice(0, 100));
    await model.classify(mixed.slice(100));
    expect(model.unknownShare).toBeGreaterThan(0.5);
    const after = await model.classify(mixed.slice(0, 100));
    const flagged = (ps: { outOfScope: boolean }[]) => ps.filter((p) => p.outOfScope).length;
    expect(flagged(after)).toBeGreaterThan(flagged(before));
    // then known traffic only: the estimate comes back down
    await model.classify(known.slice(0, 600));
    expect(model.unknownShare).toBeLessThan(0.2);
  });
});
