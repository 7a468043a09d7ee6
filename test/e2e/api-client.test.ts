import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import createClient from 'openapi-fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashKey, listen, type RunningServer } from '../../src/app/http/index.js';
import { ClassifyBatchResultSchema, ClassifyResultSchema, HealthSchema, IntentsSchema, ModelInfoSchema, ProblemSchema, ReadySchema, ReviewItemSchema, ReviewListSchema } from '../../src/app/http/schemas.js';
import { FeedbackSchema } from '../../src/app/http/routes/feedback.js';
import { ROOT } from '../helpers/sample.js';
import { CONFIDENT, testServing, UNSURE, type TestServing } from '../helpers/serving.js';
import type { paths } from './api/types.js';

/*
 * The API as a client generated from its own OpenAPI document sees it: test/e2e/api/types.ts is
 * made by openapi-typescript from test/e2e/api/openapi.json (`npm run generate:api-client`), and
 * openapi-fetch calls a real server on a socket with it. A route whose request or answer drifts
 * from the spec fails here twice: at typecheck (the generated types) and at run time (each answer
 * is parsed with the schema its spec entry was generated from). The committed document must be
 * the one the server serves, so the generated types cannot go stale either.
 */

const KEY = 'sk-api-client-e2e';
let s: TestServing;
let server: RunningServer;
let api: ReturnType<typeof createClient<paths>>;

beforeAll(async () => {
  s = await testServing({ flags: { server: { apiKeys: [{ name: 'client-e2e', sha256: hashKey(KEY) }] } } });
  server = await listen(s.app, { host: '127.0.0.1', port: 0 });
  api = createClient<paths>({ baseUrl: server.url, headers: { authorization: `Bearer ${KEY}` } });
}, 120_000);

afterAll(async () => {
  await server?.close(1000);
  await s?.close();
});

describe('the generated client against a real server', () => {
  it('the committed OpenAPI document is the one the server serves (regenerate with npm run generate:api-client)', async () => {
    const served = (await (await fetch(`${server.url}/openapi.json`)).json()) as Record<string, unknown>;
    const committed = JSON.parse(readFileSync(join(ROOT, 'test/e2e/api/openapi.json'), 'utf8')) as Record<string, unknown>;
    // info carries the version and whether this server enforces keys; the contract is the rest
    const { info: _s, ...servedContract } = served;
    const { info: _c, ...committedContract } = committed;
    expect(servedContract).toEqual(committedContract);
  });

  it('health, readiness, model and intents', async () => {
    const health = await api.GET('/healthz');
    expect(health.response.status).toBe(200);
    expect(HealthSchema.parse(health.data)).toEqual({ status: 'ok' });

    const ready = await api.GET('/readyz');
    expect(ready.response.status).toBe(200);
    expect(ReadySchema.parse(ready.data).status).toBe('ready');

    const model = await api.GET('/v1/models/current');
    expect(model.error).toBeUndefined();
    expect(ModelInfoSchema.parse(model.data).name).toBe('sample');

    const intents = await api.GET('/v1/intents');
    const names = IntentsSchema.parse(intents.data).intents.map((i) => i.name);
    expect(names).toContain('delivery');
    expect(intents.data!.model.version).toBe(model.data!.version);
  });

  it('classify, one and a batch; a bad request and a missing key are typed problems', async () => {
    const one = await api.POST('/v1/classify', { body: { text: CONFIDENT, id: 'client-1', metadata: { channel: 'e2e' } } });
    expect(one.response.status).toBe(200);
    const r = ClassifyResultSchema.parse(one.data);
    expect(r).toMatchObject({ id: 'client-1', intent: 'delivery', route: 'accepted', metadata: { channel: 'e2e' } });

    const batch = await api.POST('/v1/classify/batch', { body: { items: [{ text: CONFIDENT }, { text: UNSURE }] } });
    expect(ClassifyBatchResultSchema.parse(batch.data).items.map((i) => i.route)).toEqual(['accepted', 'review']);

    const bad = await api.POST('/v1/classify', { body: { text: '   ' } });
    expect(bad.response.status).toBe(400);
    const problem = ProblemSchema.parse(bad.error);
    expect(problem.errors).toEqual([{ field: 'text', message: 'must not be only whitespace' }]);

    const anonymous = createClient<paths>({ baseUrl: server.url });
    const denied = await anonymous.GET('/v1/intents');
    expect(denied.response.status).toBe(401);
    expect(ProblemSchema.parse(denied.error).status).toBe(401);
  });

  it('an unsure message through the review queue: list, claim, label', async () => {
    const asked = await api.POST('/v1/classify', { body: { text: UNSURE, id: 'client-review' } });
    const result = ClassifyResultSchema.parse(asked.data);
    expect(result.route).toBe('review');
    const reviewId = result.review!.id;

    const list = await api.GET('/v1/review', { params: { query: { state: 'open', limit: 500 } } });
    expect(ReviewListSchema.parse(list.data).items.map((i) => i.id)).toContain(reviewId);
    // open items come by priority, each with why (the generated types carry it)
    expect(list.data!.items.every((i) => typeof i.priority?.explanation === 'string')).toBe(true);

    const claimed = await api.POST('/v1/review/{id}/claim', { params: { path: { id: reviewId } } });
    expect(ReviewItemSchema.parse(claimed.data)).toMatchObject({ id: reviewId, state: 'claimed', claimedBy: 'client-e2e' });

    const labelled = await api.POST('/v1/review/{id}/label', { params: { path: { id: reviewId } }, body: { label: 'general_question' } });
    expect(ReviewItemSchema.parse(labelled.data)).toMatchObject({ state: 'labelled', label: 'general_question', labelledBy: 'client-e2e' });

    const missing = await api.POST('/v1/review/{id}/skip', { params: { path: { id: 'no-such-item' } } });
    expect(missing.response.status).toBe(404);
    expect(ProblemSchema.parse(missing.error).status).toBe(404);
  });

  it('feedback on a served prediction', async () => {
    const asked = await api.POST('/v1/classify', { body: { text: CONFIDENT, id: 'client-feedback' } });
    expect(asked.response.status).toBe(200);
    // the prediction log is written off the request path: wait until it holds the answer
    const give = () => api.POST('/v1/feedback', { body: { predictionId: 'client-feedback', rating: 1, correctIntent: 'delivery' } });
    let given = await give();
    for (const t0 = Date.now(); given.response.status === 404 && Date.now() - t0 < 20_000; given = await give()) await new Promise((r) => setTimeout(r, 50));
    expect(given.response.status).toBe(201);
    expect(FeedbackSchema.parse(given.data)).toMatchObject({ predictionId: 'client-feedback', rating: 1, correctIntent: 'delivery', source: 'client-e2e' });

    const unknown = await api.POST('/v1/feedback', { body: { predictionId: 'never-served', rating: -1 } });
    expect(unknown.response.status).toBe(404);
  });

  it('/metrics as text through the same client', async () => {
    const m = await api.GET('/metrics', { parseAs: 'text' });
    expect(m.response.status).toBe(200);
    expect(m.data).toMatch(/^intentops_classifications_total\{route="accepted",reason="confident"\} [1-9]/m);
  });
});
