import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readBundle } from '../../src/adapters/bundle/index.js';
import { modelFromBundle, openServing } from '../../src/app/container/index.js';
import { loadConfig } from '../../src/app/config.js';
import { createLogger } from '../../src/app/telemetry/index.js';
import { startFakeLlm } from '../../src/app/dev/fake-llm-server.js';
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
  let bundle: string;
  let gold: Map<string, string>;
  beforeAll(async () => {
    const rows = (f: string) => readFileSync(join(SHARED, 'datasets', 'banking77', f), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { text: string; label: string });
    const train = rows('train.jsonl');
    const labels = [...new Set(train.map((r) => r.label))].sort();
    const mine = new Set(labels.filter((_, i) => i % 2 === 0));
    const work = tempDir('intentops-share-');
    const data = join(work, 'train.jsonl');
    writeFileSync(data, train.filter((r) => mine.has(r.label)).map((r) => JSON.stringify(r)).join('\n') + '\n');
    bundle = join(work, 'm');
    await trainBundle({ data, out: bundle, embedder: 'hashed', seed: 5 });
    model = await modelFromBundle(readBundle(bundle));
    const test = rows('test.jsonl');
    gold = new Map(test.map((r) => [r.text, r.label]));
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

  it('serving: a model swapped in starts from the share the model before it estimated, not from its bundle default', async () => {
    const c = loadConfig({ env: {}, flags: { review: { uri: 'none' }, events: { uri: 'none' }, tracking: { uri: 'none' }, cache: { uri: 'none' }, logging: { level: 'silent' } } });
    const serving = await openServing(c, { modelDir: bundle, log: createLogger({ level: 'silent' }) });
    try {
      const ask = async (text: string) => expect((await serving.app.request('/v1/classify', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) })).status).toBe(200);
      const first = serving.model();
      expect(first.unknownShare).toBeCloseTo(0.1, 9);
      // 600 messages (the default estimate needs 500), 80 % of them unknown
      for (let i = 0; i < 600; i++) await ask(i % 5 === 0 ? known[i % known.length] : unknown[i % unknown.length]);
      expect(first.estimatesUnknownShare).toBe(true);
      const estimated = first.unknownShare;
      expect(estimated).toBeGreaterThan(0.5);
      // a new model (as a promotion or SIGHUP loads one) answers its first message with that estimate
      const next = await serving.loadModel(bundle);
      expect(next).not.toBe(first);
      expect(next.unknownShare).toBeCloseTo(0.1, 9);
      await ask(known[0]);
      expect(serving.model()).toBe(next);
      expect(next.estimatesUnknownShare).toBe(false);
      expect(next.unknownShare).toBeCloseTo(estimated, 9);
    } finally {
      await serving.close();
    }
  }, 120_000);

  it('an outside estimate (the LLM answers count) replaces the EM estimate from its first re-estimate, before minSamples', async () => {
    const m = await modelFromBundle(readBundle(bundle));
    let outside: number | null = null;
    m.trackUnknownShare({ window: 600, minSamples: 300, every: 50, estimate: () => outside });
    // no outside estimate yet: the EM estimate waits for minSamples, the bundle default stays
    await m.classify(unknown.slice(0, 100));
    expect(m.unknownShare).toBeCloseTo(0.1, 9);
    outside = 0.02;
    await m.classify(unknown.slice(100, 150));
    expect(m.unknownShare).toBeCloseTo(0.02, 9);
    // it keeps following the outside count, whatever the scores say
    outside = 0.3;
    await m.classify(known.slice(0, 400));
    expect(m.unknownShare).toBeCloseTo(0.3, 9);
    // no estimate given any more: past minSamples the EM estimate from the scores takes over again
    outside = null;
    await m.classify(known.slice(0, 300));
    expect(m.unknownShare).toBeLessThan(0.2);
  });

  it('serving with llm.estimateUnknownShare: the share follows the LLM answers that name an intent the model lacks', async () => {
    // the LLM knows every intent: for a message of one the model lacks it names that one (off the list)
    const fake = await startFakeLlm({ oracle: { labels: gold, accuracy: 1 } });
    const c = loadConfig({ env: {}, flags: { review: { uri: 'sqlite::memory:' }, events: { uri: 'none' }, tracking: { uri: 'none' }, cache: { uri: 'none' }, logging: { level: 'silent' }, llm: { provider: 'openai-chat', baseUrl: fake.baseUrl, apiKey: 'test', estimateUnknownShare: true } } });
    const serving = await openServing(c, { modelDir: bundle, log: createLogger({ level: 'silent' }) });
    try {
      const routes: Record<string, number> = {};
      const ask = async (text: string) => {
        const res = await serving.app.request('/v1/classify', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) });
        expect(res.status).toBe(200);
        const r = (await res.json()) as { route: string };
        routes[r.route] = (routes[r.route] ?? 0) + 1;
      };
      // 750 known messages: nothing the LLM says is of another intent; the share is counted as 0
      for (let i = 0; i < 750; i++) await ask(known[i]);
      expect(serving.model().unknownShare).toBe(0);
      // then 500 messages, 40 % of them of the intents the model lacks: most go to the LLM, which names them
      for (let i = 0; i < 500; i++) await ask(i % 5 < 2 ? unknown[i] : known[750 + i]);
      const share = serving.model().unknownShare;
      expect(routes.review).toBeGreaterThan(0);
      // of the 1,250 messages in the window (re-counted every 250), at most the 200 unknown ones count, and the LLM saw most of them
      expect(share).toBeGreaterThan(0.1);
      expect(share).toBeLessThanOrEqual(200 / 1200);
    } finally {
      await serving.close();
      await fake.close();
    }
  }, 120_000);
});
