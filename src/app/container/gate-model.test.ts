import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddingsServer, type FakeEmbeddingsServer } from '../../../test/fakes/embeddings-server.js';
import { tempDir } from '../../../test/helpers/sample.js';
import { configSchema, type Config } from '../config.js';
import { embedderOptions, openGateModel, openModel, trainModel } from './index.js';

const KEY = 'sk-test-0123456789abcdef';
const TEST = ['I was charged twice for my order', 'Where is my parcel? It was due on Monday', 'I cannot log in to my account'];

/** The texts the fake embeddings server was asked to encode, in order. */
const asked = (s: FakeEmbeddingsServer): string[] => s.requests.flatMap((r) => (r.body as { input: string[] }).input);

describe('openGateModel', () => {
  let server: FakeEmbeddingsServer;
  let dir: string;
  let c: Config;
  beforeAll(async () => {
    server = await startEmbeddingsServer({ apiKey: KEY, dim: 1536 });
    dir = tempDir();
    c = configSchema.parse({ embedder: 'hashed+openai', openai: { baseUrl: server.baseUrl, apiKey: KEY }, cacheDir: join(dir, 'cache') });
    await trainModel({ data: 'data/sample/tickets.csv', out: join(dir, 'model'), embedder: c.embedder, embedderOptions: embedderOptions(c), cacheDir: c.cacheDir, seed: 1 });
  }, 120_000);
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('encodes each text of a set the slow embedder once: a second model, or the same set again, takes the vectors from the cache folder', async () => {
    const before = asked(server).length;
    const first = await (await openGateModel(join(dir, 'model'), c)).classify(TEST);
    expect(asked(server).slice(before)).toEqual(TEST);
    // another opened copy (tomorrow's gate, the champion beside the challenger): no request, same answers
    const again = await (await openGateModel(join(dir, 'model'), c)).classify(TEST);
    expect(asked(server).length).toBe(before + TEST.length);
    expect(again.map((p) => [p.intent, p.confidence])).toEqual(first.map((p) => [p.intent, p.confidence]));
    // texts training embedded are in the cache already
    const trained = 'Can swimwear be returned if the hygiene sticker is still on?';
    await (await openGateModel(join(dir, 'model'), c)).classify([trained]);
    expect(asked(server).length).toBe(before + TEST.length);
    // openModel (serving, `predict`) keeps no vectors: it asks again
    await (await openModel(join(dir, 'model'), c)).classify(TEST);
    expect(asked(server).slice(before + TEST.length)).toEqual(TEST);
  });

  it('without cacheDir asks every time', async () => {
    const plain = configSchema.parse({ ...c, cacheDir: '' });
    const before = asked(server).length;
    await (await openGateModel(join(dir, 'model'), plain)).classify(TEST);
    await (await openGateModel(join(dir, 'model'), plain)).classify(TEST);
    expect(asked(server).length).toBe(before + 2 * TEST.length);
  });
});
