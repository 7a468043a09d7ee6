import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIDENT, metric, sampleModel, testServing, UNSURE, type TestServing } from '../../../test/helpers/serving.js';
import { loadConfig } from '../config.js';
import { openModel } from '../container/index.js';
import { ClassifyService } from '../classify/service.js';
import { ClassifyBatchResultSchema, ClassifyResultSchema, ProblemSchema } from './schemas.js';

async function problem(res: Response, status: number) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const body = ProblemSchema.parse(await res.json());
  expect(body.status).toBe(status);
  expect(body.requestId).toBe(res.headers.get('x-request-id'));
  return body;
}

describe('POST /v1/classify', () => {
  let s: TestServing;
  beforeAll(async () => {
    s = await testServing();
  });
  afterAll(() => s.close());

  it('answers a confident message on the accepted route, with the model identity and timings', async () => {
    const res = await s.post('/v1/classify', { text: CONFIDENT, id: 'msg-1', metadata: { channel: 'email' } });
    expect(res.status).toBe(200);
    const r = ClassifyResultSchema.parse(await res.json());
    expect(r).toMatchObject({ id: 'msg-1', intent: 'delivery', route: 'accepted', reason: 'confident', cached: false, metadata: { channel: 'email' } });
    expect(r.confidence).toBeGreaterThan(0.9);
    expect(r.alternatives[0]).toMatchObject({ intent: 'delivery' });
    expect(r.model).toEqual({ name: 'sample', version: expect.stringMatching(/^[0-9a-f]{12}$/) });
    expect(r.timings.totalMs).toBeGreaterThan(0);
    expect(r.llm).toBeUndefined();
    // no LLM fallback: GET /v1/rollout/llm says nothing is served (200, so the dashboard's poll is no error)
    const llm = await s.get('/v1/rollout/llm');
    expect(llm.status).toBe(200);
    expect(await llm.json()).toEqual({ served: null });
  });

  it('sends an unsure message to review with the best guess and neighbours when no LLM is configured', async () => {
    const r = ClassifyResultSchema.parse(await (await s.post('/v1/classify', { text: UNSURE })).json());
    expect(r.route).toBe('review');
    // unsure (low_confidence, low_margin, unfamiliar) or flagged as novel (out_of_scope): the model's own reason either way
    expect(['low_confidence', 'low_margin', 'knn_disagrees', 'unfamiliar', 'out_of_scope']).toContain(r.reason);
    expect(r.outOfScope).toBe(r.reason === 'out_of_scope');
    expect(r.confidence).toBe(r.local.confidence);
    expect(r.review?.id).toBeTruthy();
    expect(r.neighbours.length).toBe(3);
    expect(r.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('classifies a batch in order', async () => {
    const res = await s.post('/v1/classify/batch', { items: [{ text: CONFIDENT }, { text: 'I want a refund for the broken lamp', id: 'b' }] });
    expect(res.status).toBe(200);
    const { items } = ClassifyBatchResultSchema.parse(await res.json());
    expect(items.map((i) => i.intent)).toEqual(['delivery', 'return_refund']);
    expect(items[1].id).toBe('b');
  });

  it('honours a well-formed x-request-id and replaces a malformed one', async () => {
    const ok = await s.post('/v1/classify', { text: CONFIDENT }, { 'x-request-id': 'trace-abc_123' });
    expect(ok.headers.get('x-request-id')).toBe('trace-abc_123');
    const bad = await s.post('/v1/classify', { text: '' }, { 'x-request-id': 'x'.repeat(500) });
    const id = bad.headers.get('x-request-id')!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await bad.json()).requestId).toBe(id);
    const evil = await s.post('/v1/classify', { text: CONFIDENT }, { 'x-request-id': 'a b\u0007"<script>' });
    expect(evil.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('reuses the answer for the same normalised message, and counts the hit', async () => {
    const before = await (await s.get('/metrics')).text();
    const a = ClassifyResultSchema.parse(await (await s.post('/v1/classify', { text: 'Where is my PARCEL?   It was due on Monday' })).json());
    const b = ClassifyResultSchema.parse(await (await s.post('/v1/classify', { text: '  where is my parcel? it was due on monday ' })).json());
    expect(a.cached).toBe(false);
    expect(b.cached).toBe(true);
    expect(b.intent).toBe(a.intent);
    expect(b.id).not.toBe(a.id);
    const after = await (await s.get('/metrics')).text();
    expect(metric(after, 'intentops_cache_lookups_total{result="hit"}') - metric(before, 'intentops_cache_lookups_total{result="hit"}')).toBe(1);
    expect(metric(after, 'intentops_cache_lookups_total{result="miss"}') - metric(before, 'intentops_cache_lookups_total{result="miss"}')).toBe(1);
  });

  it('never serves a new model an answer cached for the old one', async () => {
    const text = 'my package has not arrived yet';
    const first = ClassifyResultSchema.parse(await (await s.post('/v1/classify', { text })).json());
    expect(ClassifyResultSchema.parse(await (await s.post('/v1/classify', { text })).json()).cached).toBe(true);
    await s.loadModel(await sampleModel(8));
    try {
      const next = ClassifyResultSchema.parse(await (await s.post('/v1/classify', { text })).json());
      expect(next.model.version).not.toBe(first.model.version);
      expect(next.cached).toBe(false);
      const metrics = await (await s.get('/metrics')).text();
      expect(metrics).toContain(`intentops_model_info{name="sample",version="${next.model.version}"} 1`);
      expect(metrics).not.toContain(`version="${first.model.version}"} 1`);
    } finally {
      await s.loadModel(await sampleModel(7));
    }
  });
});

describe('bad input gets the right status and a message that says what to fix', () => {
  let s: TestServing;
  beforeAll(async () => {
    s = await testServing({ flags: { server: { maxTextLength: 1000 } } });
  });
  afterAll(() => s.close());

  it('empty and whitespace-only text: 400 naming the field', async () => {
    for (const text of ['', '   \n\t ']) {
      const p = await problem(await s.post('/v1/classify', { text }), 400);
      expect(p.errors).toEqual([{ field: 'text', message: text ? 'must not be only whitespace' : 'must not be empty' }]);
      expect(p.detail).toMatch(/^text: must not be/);
      expect(p.type).toBe('urn:intentops:problem:validation');
      expect(p.instance).toBe('/v1/classify');
    }
  });

  it('text over server.maxTextLength: 400 with the limit', async () => {
    const p = await problem(await s.post('/v1/classify', { text: 'a'.repeat(1001) }), 400);
    expect(p.errors![0]).toEqual({ field: 'text', message: 'is 1001 characters; the limit is 1000 (server.maxTextLength): shorten the message' });
  });

  it('a 1 MB body: 413 naming the byte limit', async () => {
    const p = await problem(await s.post('/v1/classify', { text: 'a'.repeat(1_000_000) }), 413);
    expect(p.detail).toMatch(/over 65536 bytes \(server\.bodyLimitBytes\)/);
    const batch = await problem(await s.post('/v1/classify/batch', { items: [{ text: 'b'.repeat(1_100_000) }] }), 413);
    expect(batch.detail).toMatch(/over 1048576 bytes \(server\.batchBodyLimitBytes\)/);
  });

  it('invalid UTF-8 bytes: 400 with the byte offset', async () => {
    const bytes = new Uint8Array([...Buffer.from('{"text":"caf'), 0xc3, 0x28, ...Buffer.from('"}')]);
    const p = await problem(await s.post('/v1/classify', bytes), 400);
    expect(p.detail).toBe('the request body is not valid UTF-8 (first bad byte at offset 12): encode the JSON as UTF-8');
    const lone = await problem(await s.post('/v1/classify', '{"text":"broken \\ud800 surrogate"}'), 400);
    expect(lone.errors![0].field).toBe('text');
    expect(lone.errors![0].message).toMatch(/unpaired UTF-16 surrogate/);
  });

  it('invalid JSON: 400 quoting the parser', async () => {
    const p = await problem(await s.post('/v1/classify', '{"text": "hi",'), 400);
    expect(p.detail).toMatch(/^the request body is not valid JSON: /);
    expect(p.type).toBe('urn:intentops:problem:invalid-json');
  });

  it('wrong JSON types: 400 naming each field and what it got', async () => {
    const p = await problem(await s.post('/v1/classify', { text: 42, id: 7, metadata: [1] }), 400);
    expect(p.errors).toEqual([
      { field: 'text', message: 'must be a string, got number' },
      { field: 'id', message: expect.stringMatching(/expected string, received number/) },
      { field: 'metadata', message: expect.stringMatching(/expected record, received array/) },
    ]);
    expect(p.detail).toBe('text: must be a string, got number (and 2 more)');
    for (const body of [[], null, 'text', 3]) {
      const q = await problem(await s.post('/v1/classify', JSON.stringify(body)), 400);
      expect(q.errors![0].field).toBe('(body)');
    }
    const missing = await problem(await s.post('/v1/classify', {}), 400);
    expect(missing.errors).toEqual([{ field: 'text', message: 'required' }]);
    const items = await problem(await s.post('/v1/classify/batch', { items: [{ text: 'ok' }, { text: ' ' }, { txt: 'x' }] }), 400);
    expect(items.errors).toEqual([
      { field: 'items.1.text', message: 'must not be only whitespace' },
      { field: 'items.2.text', message: 'required' },
      { field: 'items.2.txt', message: expect.stringMatching(/^unknown field/) },
    ]);
  });

  it('unknown fields: 400 naming them', async () => {
    const p = await problem(await s.post('/v1/classify', { text: 'hello', lang: 'en', threshold: 0.1 }), 400);
    expect(p.errors!.map((e) => e.field)).toEqual(['lang', 'threshold']);
    expect(p.errors![0].message).toMatch(/unknown field: remove it/);
  });

  it('a batch over server.maxBatch: 413 with the count and the limit; an empty batch: 400', async () => {
    const items = Array.from({ length: 257 }, (_, i) => ({ text: `message ${i}` }));
    const p = await problem(await s.post('/v1/classify/batch', { items }), 413);
    expect(p.detail).toBe('the batch has 257 items; the limit is 256 (server.maxBatch): split it into smaller batches');
    const empty = await problem(await s.post('/v1/classify/batch', { items: [] }), 400);
    expect(empty.errors).toEqual([{ field: 'items', message: 'must hold at least one item' }]);
  });

  it('wrong content type: 415 saying what to send', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=iso-8859-1']) {
      const res = await s.app.request('/v1/classify', { method: 'POST', headers: { 'content-type': type }, body: '{"text":"hi"}' });
      const p = await problem(res, 415);
      expect(p.detail).toMatch(/send Content-Type: application\/json/);
    }
    const none = await s.app.request('/v1/classify', { method: 'POST', body: new Blob(['{"text":"hi"}']) });
    expect((await problem(none, 415)).detail).toMatch(/no Content-Type was sent/);
    const ok = await s.app.request('/v1/classify', { method: 'POST', headers: { 'content-type': 'application/json; charset=UTF-8' }, body: '{"text":"hi"}' });
    expect(ok.status).toBe(200);
  });

  it('an empty body: 400; an unknown route: 404 problem', async () => {
    expect((await problem(await s.post('/v1/classify', ''), 400)).detail).toMatch(/body is empty/);
    expect((await problem(await s.get('/v1/nope'), 404)).detail).toMatch(/no route for GET \/v1\/nope/);
  });

  it('never writes message texts to the log by default', async () => {
    await s.post('/v1/classify', { text: 'my secret order number 998877' });
    expect(s.logText()).not.toContain('998877');
    expect(s.logs.some((l) => l.route === '/v1/classify' && l.status === 200)).toBe(true);
  });
});

describe('logging.texts: true', () => {
  it('logs the message text when opted in', async () => {
    const s = await testServing({ flags: { logging: { texts: true } } });
    try {
      await s.post('/v1/classify', { text: 'opt-in text 4455' });
      expect(s.logText()).toContain('opt-in text 4455');
    } finally {
      await s.close();
    }
  });
});

describe('an answer cache that fails', () => {
  it('is treated as a miss and reported, never a failed request', async () => {
    const model = await openModel(await sampleModel(), loadConfig({ env: {} }));
    const errors: unknown[] = [];
    const down = async () => {
      throw new Error('ECONNREFUSED');
    };
    const service = new ClassifyService({ model: () => model, cache: { get: down, set: down, close: async () => undefined }, observer: { onResult: () => undefined, onCacheError: (e) => errors.push(e) } });
    const r = await service.classify({ text: CONFIDENT });
    expect(r).toMatchObject({ intent: 'delivery', route: 'accepted', cached: false });
    expect(errors).toHaveLength(2); // the read and the write
  });
});
