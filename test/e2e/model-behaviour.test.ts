import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/app/config.js';
import { openClassifier, openModel } from '../../src/app/container/index.js';
import { Cascade } from '../../src/app/classify/cascade.js';
import type { IntentModel } from '../../src/app/classify/model.js';
import { trainBundle } from '../helpers/trained.js';
import { ROOT, SAMPLE_TEST, SAMPLE_TRAIN, tempDir } from '../helpers/sample.js';
import { loadExamples } from '../../src/app/services/dataset.js';

const cfg = loadConfig({ env: {} });

describe('out-of-scope handling', () => {
  let model: IntentModel;
  beforeAll(async () => {
    const work = tempDir();
    const data = join(work, 'with-oos.csv');
    const oos = readFileSync(join(ROOT, 'test/fixtures/data/out-of-scope.csv'), 'utf8').split('\n').slice(1).join('\n');
    writeFileSync(data, readFileSync(SAMPLE_TRAIN, 'utf8').trimEnd() + '\n' + oos);
    await trainBundle({ data, out: join(work, 'm'), embedder: 'hashed', seed: 3 });
    model = await openModel(join(work, 'm'), cfg);
  });

  it('records the out-of-scope label and flags such predictions', async () => {
    expect(model.manifest.outOfScopeLabels).toEqual(['oos']);
    const [p] = await model.classify(['what is the weather like in Paris today']);
    expect(p.intent).toBe('oos');
    expect(p.outOfScope).toBe(true);
  });

  it('returns the top alternatives best first, led by the prediction', async () => {
    const [p] = await model.classify(['my card payment was declined twice'], { alternatives: 4 });
    expect(p.alternatives).toHaveLength(4);
    expect(p.alternatives[0]).toEqual({ intent: p.intent, score: p.confidence });
    const scores = p.alternatives.map((a) => a.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    expect(new Set(p.alternatives.map((a) => a.intent)).size).toBe(4);
  });

  it('never answers an unseen out-of-scope message as a real intent', async () => {
    const unseen = ['who wrote Hamlet', 'wie hoch ist die Zugspitze', 'tell me a fun fact about penguins', 'what is the best pasta recipe', 'how old is the universe'];
    for (const p of await model.classify(unseen)) {
      const answeredAsIntent = p.route === 'accepted' && !p.outOfScope;
      expect(answeredAsIntent, `${p.intent} ${p.confidence}`).toBe(false);
    }
  });
});

describe('cascade of cost tiers', () => {
  it('lets the first tier answer what it is sure of and passes only the rest on', async () => {
    const work = tempDir();
    await trainBundle({ data: SAMPLE_TRAIN, out: join(work, 'cheap'), embedder: 'hashed', seed: 1, training: { targetPrecision: 0.95 } });
    await trainBundle({ data: SAMPLE_TRAIN, out: join(work, 'second'), embedder: 'hashed', seed: 2, training: { targetPrecision: 0.8 } });
    const cascade = (await openClassifier(`${join(work, 'cheap')},${join(work, 'second')}`, cfg)) as Cascade;
    expect(cascade).toBeInstanceOf(Cascade);
    const texts = (await loadExamples(SAMPLE_TEST)).examples.map((e) => e.text);
    const first = await cascade.tiers[0].classify(texts);
    const out = await cascade.classify(texts);
    out.forEach((p, i) => {
      if (first[i].route === 'accepted') expect(p).toMatchObject({ tier: 0, intent: first[i].intent, route: 'accepted' });
      else expect(p.tier).toBe(1);
      if (p.route !== 'accepted') expect(p.tier).toBe(1);
    });
    expect(out.some((p) => p.tier === 0)).toBe(true);
    expect(out.some((p) => p.tier === 1)).toBe(true);
    expect(cascade.describe().name).toBe('cheap → second');
  });
});
