import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddingsServer, type FakeEmbeddingsServer } from '../../../test/fakes/embeddings-server.js';
import { tempDir } from '../../../test/helpers/sample.js';
import { stateOf } from './combined.js';
import { createEmbedder, fitEmbedder, restoreEmbedder, type EmbedderOptions } from './index.js';

const TEXTS = ['I lost my card', 'where is my parcel', 'I was charged twice'];

describe('restoreEmbedder with a cache folder', () => {
  let server: FakeEmbeddingsServer;
  let dir: string;
  const options = (): EmbedderOptions => ({ openai: { baseUrl: server.baseUrl, apiKey: 'sk-test-0123456789abcdef', model: 'text-embedding-3-small', dimensions: 16 } });
  beforeAll(async () => {
    server = await startEmbeddingsServer({ apiKey: 'sk-test-0123456789abcdef' });
    dir = tempDir();
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the slow part of a combined embedder on disk: a second restored copy embeds the same texts without a request, to the same vectors', async () => {
    const trained = await createEmbedder('hashed+openai', options());
    await fitEmbedder(trained, TEXTS);
    const state = stateOf(trained);
    const first = await (await restoreEmbedder(state, options(), dir)).embed(TEXTS);
    const asked = server.requests.length;
    expect(asked).toBeGreaterThan(0);
    const second = await (await restoreEmbedder(state, options(), dir)).embed(TEXTS);
    expect(server.requests.length).toBe(asked);
    expect(second.map((e) => Array.from(e.dense))).toEqual(first.map((e) => Array.from(e.dense)));
    // without a cache folder every restored copy asks again
    await (await restoreEmbedder(state, options())).embed(TEXTS);
    expect(server.requests.length).toBeGreaterThan(asked);
  });
});
