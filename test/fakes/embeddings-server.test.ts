import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeVector, startEmbeddingsServer, type FakeEmbeddingsServer } from './embeddings-server.js';

describe('fake embeddings server', () => {
  let s: FakeEmbeddingsServer;
  beforeAll(async () => {
    s = await startEmbeddingsServer({ dim: 3, apiKey: 'k' });
  });
  afterAll(() => s.close());

  const post = (path: string, body: unknown, headers: Record<string, string> = { authorization: 'Bearer k' }) =>
    fetch(`${s.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  it('derives deterministic, non-unit vectors from the text', () => {
    expect(fakeVector('a', 20)).toEqual(fakeVector('a', 20));
    expect(fakeVector('a', 20)).not.toEqual(fakeVector('b', 20));
    expect(fakeVector('a', 20).slice(0, 8)).toEqual(fakeVector('a', 8));
    expect(Math.hypot(...fakeVector('a', 20))).not.toBeCloseTo(1, 2);
  });

  it('answers in the OpenAI wire format and records the request', async () => {
    const res = await post('/v1/embeddings', { input: 'hi there', model: 'm' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      object: 'list',
      data: [{ object: 'embedding', index: 0, embedding: fakeVector('hi there', 3) }],
      model: 'm',
      usage: { prompt_tokens: 2, total_tokens: 2 },
    });
    expect(s.requests.at(-1)).toMatchObject({ method: 'POST', path: '/v1/embeddings', body: { input: 'hi there', model: 'm' } });
  });

  it('plays scripted failures in order, then recovers', async () => {
    s.script(1, { status: 429, retryAfter: '2' });
    s.script(1, { status: 500, retryAfterMs: 10 });
    const first = await post('/v1/embeddings', { input: ['x'], model: 'm' });
    expect([first.status, first.headers.get('retry-after')]).toEqual([429, '2']);
    const second = await post('/v1/embeddings', { input: ['x'], model: 'm' });
    expect([second.status, second.headers.get('retry-after-ms')]).toEqual([500, '10']);
    expect((await post('/v1/embeddings', { input: ['x'], model: 'm' })).status).toBe(200);
  });

  it('checks keys, routes and inputs like the real service', async () => {
    const wrong = await post('/v1/embeddings', { input: ['x'], model: 'm' }, { authorization: 'Bearer nope' });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { error: { message: string } }).error.message).toContain('nope');
    expect((await post('/v1/chat', { input: ['x'], model: 'm' })).status).toBe(404);
    expect((await post('/v1/embeddings', { input: [''], model: 'm' })).status).toBe(400);
    expect((await post('/openai/deployments/d/embeddings', { input: ['x'] }, { 'api-key': 'k' })).status).toBe(400);
    expect((await post('/openai/deployments/d/embeddings?api-version=1', { input: ['x'] }, { 'api-key': 'k' })).status).toBe(200);
  });
});
