import { afterEach, describe, expect, it } from 'vitest';
import { fakeVector, startEmbeddingsServer, type FakeEmbeddingsServer, type FakeServerOptions } from '../../../test/fakes/embeddings-server.js';
import { IntentOpsError } from '../../core/errors.js';
import type { PersistableEmbedder } from '../../ports/embedder.js';
import { openaiEmbedder } from './openai.js';
import { rejection as failure } from '../../../test/helpers/sample.js';

const KEY = 'sk-test-0123456789abcdef';
const servers: FakeEmbeddingsServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function server(opts: FakeServerOptions = {}): Promise<FakeEmbeddingsServer> {
  const s = await startEmbeddingsServer(opts);
  servers.push(s);
  return s;
}

function unitOf(values: number[]): number[] {
  const n = Math.hypot(...values);
  return values.map((x) => x / n);
}
function expectVector(actual: Float32Array, text: string, dim: number): void {
  const want = unitOf(fakeVector(text, dim));
  expect(actual.length).toBe(dim);
  actual.forEach((x, i) => expect(x).toBeCloseTo(want[i], 6));
}
const texts = (n: number) => Array.from({ length: n }, (_, i) => `message number ${i}`);

describe('openai embedder: requests', () => {
  it('posts to {baseUrl}/embeddings with a bearer key and returns unit vectors', async () => {
    const s = await server({ apiKey: KEY });
    const e = await openaiEmbedder.create({ baseUrl: s.baseUrl, apiKey: KEY, model: 'text-embedding-3-small', dimensions: 12 });
    expect(e.dim).toBe(12);
    expect(s.requests).toHaveLength(0); // the width was known, so no probe
    const [a, b] = await e.embed(['I lost my card', 'what is the weather']);
    expectVector(a.dense, 'I lost my card', 12);
    expectVector(b.dense, 'what is the weather', 12);
    expect(Math.hypot(...a.dense)).toBeCloseTo(1, 6);
    expect(a.sparse).toBeUndefined();
    const [req] = s.requests;
    expect(req.path).toBe('/v1/embeddings');
    expect(req.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req.headers['api-key']).toBeUndefined();
    expect(req.body).toEqual({ input: ['I lost my card', 'what is the weather'], model: 'text-embedding-3-small', dimensions: 12 });
  });

  it('splits into batches of batchSize and keeps input order', async () => {
    const s = await server({ dim: 6, maxInputs: 64 });
    const e = await openaiEmbedder.create({ baseUrl: s.baseUrl, model: 'm', batchSize: 64, dimensions: 6 });
    const input = texts(150);
    const progress: number[] = [];
    const out = await e.embed(input, (done) => progress.push(done));
    expect(s.requests.map((r) => (r.body as { input: string[] }).input.length)).toEqual([64, 64, 22]);
    expect(progress).toEqual([64, 128, 150]);
    out.forEach((v, i) => expectVector(v.dense, input[i], 6));
    expect(await e.embed([])).toEqual([]);
  });

  it('orders vectors by the response index, not by position', async () => {
    const s = await server({ dim: 4, reverseOrder: true });
    const e = await openaiEmbedder.create({ baseUrl: s.baseUrl, model: 'm', dimensions: 4 });
    const out = await e.embed(['first', 'second', 'third']);
    ['first', 'second', 'third'].forEach((t, i) => expectVector(out[i].dense, t, 4));
  });

  it('probes the width of an unknown model once, and sends empty texts as a space', async () => {
    const s = await server({ dim: 5 });
    const e = await openaiEmbedder.create({ baseUrl: s.baseUrl, model: 'nomic-embed-text' });
    expect(e.dim).toBe(5);
    expect(s.requests).toHaveLength(1);
    await e.embed(['']);
    expect((s.requests[1].body as { input: string[] }).input).toEqual([' ']);
  });

  it('speaks Azure: deployment URL, api-version, api-key header, no model in the body', async () => {
    const s = await server({ apiKey: KEY, dim: 7 });
    const e = await openaiEmbedder.create({
      apiKey: KEY,
      azure: { endpoint: `${s.url}/`, deployment: 'emb-small', apiVersion: '2024-10-21' },
    });
    expect(e.dim).toBe(7);
    await e.embed(['hello']);
    const req = s.requests.at(-1)!;
    expect(req.path).toBe('/openai/deployments/emb-small/embeddings');
    expect(req.query).toEqual({ 'api-version': '2024-10-21' });
    expect(req.headers['api-key']).toBe(KEY);
    expect(req.headers.authorization).toBeUndefined();
    expect(req.body).toEqual({ input: ['hello'] });
  });
});

describe('openai embedder: failures and retries', () => {
  it('waits as long as Retry-After says on 429', async () => {
    const s = await server();
    const e = await openaiEmbedder.create({ baseUrl: s.baseUrl, model: 'm', dimensions: 4, retryBaseMs: 1 });
    s.script(1, { status: 429, retryAfter: '1', message: 'Rate limit reached' });
    const t0 = performance.now();
    await e.embed(['a']);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(950);
    s.script(2, { status: 429, retryAfterMs: 200 });
    const t1 = performance.now();
    await e.embed(['b']);
    expect(performance.now() - t1).toBeGreaterThanOrEqual(390);
    expect(s.requests).toHaveLength(5);
  });

  it('retries 5xx with backoff, then gives up with the last status', async () => {
    const s = await server();
    const e = await openaiEmbedder.create({ baseUrl: s.baseUrl, model: 'm', dimensions: 4, retryBaseMs: 5, maxRetries: 2 });
    s.script(2, { status: 500 });
    expect(await e.embed(['ok'])).toHaveLength(1);
    expect(s.requests).toHaveLength(3);
    s.script(3, { status: 503, message: 'overloaded' });
    const err = await failure(e.embed(['x']));
    expect(err.code).toBe('unavailable');
    expect(err.message).toBe('embeddings request failed after 3 attempt(s): HTTP 503: overloaded');
    expect(s.requests).toHaveLength(6);
  });

  it('does not retry 401 and never shows the key', async () => {
    const s = await server({ apiKey: 'sk-the-right-one' });
    const e = await openaiEmbedder.create({ baseUrl: s.baseUrl, apiKey: KEY, model: 'm', dimensions: 4 });
    const err = await failure(e.embed(['x']));
    expect(s.requests).toHaveLength(1);
    expect(err.code).toBe('invalid_config');
    expect(err.message).toMatch(/^embeddings request rejected: HTTP 401 Unauthorized: Incorrect API key provided: \*\*\*\./);
    expect(err.where).toBe(`${s.baseUrl}/embeddings`);
    expect(err.describe()).not.toContain(KEY);
  });

  it('does not retry other 4xx', async () => {
    const s = await server({ maxInputs: 2 });
    const e = await openaiEmbedder.create({ baseUrl: s.baseUrl, model: 'm', dimensions: 4, batchSize: 3 });
    const err = await failure(e.embed(['a', 'b', 'c']));
    expect(err.code).toBe('invalid_input');
    expect(err.message).toContain('HTTP 400 Bad Request: too many inputs: 3 > 2');
    expect(s.requests).toHaveLength(1);
  });

  it('times out slow answers and retries them', async () => {
    const s = await server();
    const e = await openaiEmbedder.create({ baseUrl: s.baseUrl, model: 'm', dimensions: 4, timeoutMs: 100, retryBaseMs: 1, maxRetries: 1 });
    s.script(1, { delayMs: 400 });
    expect(await e.embed(['x'])).toHaveLength(1);
    s.script(2, { delayMs: 400 });
    const err = await failure(e.embed(['y']));
    expect(err.message).toBe('embeddings request failed after 2 attempt(s): no answer within 100 ms');
  });

  it('reports an unreachable server as unavailable', async () => {
    const s = await server();
    const baseUrl = s.baseUrl;
    await s.close();
    servers.length = 0;
    const e = await openaiEmbedder.create({ baseUrl, model: 'm', dimensions: 4, maxRetries: 1, retryBaseMs: 1 });
    const err = await failure(e.embed(['x']));
    expect(err.code).toBe('unavailable');
    expect(err.message).toMatch(/after 2 attempt\(s\): fetch failed: .*ECONNREFUSED/);
  });

  it('rejects bad options', async () => {
    expect((await failure(openaiEmbedder.create({}))).where).toBe('embedder.openai.model');
    expect((await failure(openaiEmbedder.create({ model: 'm', batchsize: 3 }))).code).toBe('invalid_config');
    expect((await failure(openaiEmbedder.create({ model: 'm', azure: { deployment: 'd' } }))).where).toBe(
      'embedder.openai.azure.endpoint',
    );
  });
});

describe('openai embedder: state', () => {
  it('stores everything but the key and restores to the same vectors without a probe', async () => {
    const s = await server({ apiKey: KEY, dim: 5 });
    const e = await openaiEmbedder.create({ baseUrl: s.baseUrl, apiKey: KEY, model: 'custom', batchSize: 8 });
    const before = await e.embed(['card lost']);
    const state = JSON.parse(JSON.stringify((e as PersistableEmbedder).state()));
    expect(JSON.stringify(state)).not.toContain(KEY);
    expect(state).toEqual({
      name: 'openai',
      config: {
        baseUrl: s.baseUrl,
        model: 'custom',
        batchSize: 8,
        timeoutMs: 30000,
        maxRetries: 4,
        retryBaseMs: 500,
        dim: 5,
      },
      arrays: {},
    });
    const sent = s.requests.length;
    const restored = await openaiEmbedder.restore(state, { apiKey: KEY });
    expect(restored.dim).toBe(5);
    expect(s.requests).toHaveLength(sent);
    expect((await restored.embed(['card lost']))[0].dense).toEqual(before[0].dense);
    // A configured default model does not override the bundle's.
    await openaiEmbedder.restore(state, { apiKey: KEY, model: 'text-embedding-3-small' }).then((r) => r.embed(['x']));
    expect((s.requests.at(-1)!.body as { model: string }).model).toBe('custom');
  });

  it('accepts Azure settings flat (azure: true) and moves a bundle to another endpoint', async () => {
    const s = await server({ apiKey: KEY, dim: 4 });
    const e = await openaiEmbedder.create({ azure: true, endpoint: s.url, deployment: 'a', apiKey: KEY });
    const state = (e as PersistableEmbedder).state();
    expect(state.config.azure).toEqual({ endpoint: s.url, deployment: 'a', apiVersion: '2024-10-21' });
    const moved = await openaiEmbedder.restore(state, { azure: true, endpoint: s.url, deployment: 'b', apiKey: KEY });
    await moved.embed(['x']);
    expect(s.requests.at(-1)!.path).toBe('/openai/deployments/b/embeddings');
  });

  it('fails clearly when the restored endpoint returns another width', async () => {
    const s = await server({ dim: 3 });
    const state = { name: 'openai', config: { baseUrl: s.baseUrl, model: 'custom', dim: 5 }, arrays: {} };
    const restored = await openaiEmbedder.restore(state);
    const err = await failure(restored.embed(['x']));
    expect(err.code).toBe('invalid_config');
    expect(err.message).toBe('the server returned 3-dim vectors, expected 5');
  });
});
