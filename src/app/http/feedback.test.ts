import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPredictionLog } from '../../adapters/prediction-log/index.js';
import { openFeedbackStore } from '../../adapters/feedback-store/index.js';
import type { FeedbackStore } from '../../ports/feedback-store.js';
import type { PredictionLog } from '../../ports/prediction-log.js';
import { FeedbackService } from '../services/feedback.js';
import { problemResponse, toProblem } from './problem.js';
import { feedbackRoutes, FeedbackSchema } from './routes/feedback.js';
import type { Env } from './types.js';

const LABELS = ['billing', 'delivery', 'refund'];

/** The route in a small app: the principal from a test header (as the auth middleware sets it), the app's error mapping. */
function appWith(feedback?: FeedbackService): Hono<Env> {
  const app = new Hono<Env>();
  app.use(async (c, next) => {
    c.set('principal', c.req.header('x-test-principal') ?? 'anonymous');
    await next();
  });
  app.route('/', feedbackRoutes({ settings: { bodyLimitBytes: 4096 }, feedback }));
  app.onError((e, c) => problemResponse(c, toProblem(e)));
  return app;
}

describe('POST /v1/feedback (real SQLite stores in memory)', () => {
  let log: PredictionLog;
  let store: FeedbackStore;
  let app: Hono<Env>;
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    Promise.resolve(app.request('/v1/feedback', { method: 'POST', headers: { 'content-type': 'application/json', 'x-test-principal': 'support-bot', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) }));

  beforeAll(async () => {
    log = await openPredictionLog('sqlite::memory:');
    store = await openFeedbackStore('sqlite::memory:');
    await log.append([{ id: 'req-1', at: new Date().toISOString(), model: { name: 'tickets', version: 'abc' }, variant: 'champion', intent: 'billing', confidence: 0.55, route: 'accepted', reason: 'confident', cached: false, latencyMs: 3 }]);
    app = appWith(new FeedbackService({ store, predictions: log, labels: () => LABELS }));
  });
  afterAll(async () => {
    await log.close();
    await store.close();
  });

  it('201 with the stored record: source is the API key name, the comment redacted', async () => {
    const res = await post({ predictionId: 'req-1', correctIntent: 'refund', rating: -1, comment: 'Kunde hat Karte 4111 1111 1111 1111 angegeben, Tel. 030 1234567' });
    expect(res.status).toBe(201);
    const body = FeedbackSchema.parse(await res.json());
    expect(body).toMatchObject({ predictionId: 'req-1', correctIntent: 'refund', rating: -1, comment: 'Kunde hat Karte [CARD] angegeben, Tel. [PHONE]', source: 'support-bot' });
    expect(await store.list({ predictionId: 'req-1' })).toEqual([body]);
    const rating = await post({ predictionId: 'req-1', rating: 1 });
    expect(rating.status).toBe(201);
    expect(await rating.json()).not.toHaveProperty('correctIntent');
  });

  it('400 naming each bad or unknown field; neither correctIntent nor rating is a 400 too', async () => {
    const bad = await post({ predictionId: 7, rating: 2, colour: 'red' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).errors).toEqual([
      { field: 'predictionId', message: 'must be a string' },
      { field: 'rating', message: 'must be -1, 0 or 1' },
      { field: 'colour', message: 'unknown field: remove it (see /openapi.json for the accepted fields)' },
    ]);
    const neither = await post({ predictionId: 'req-1', comment: 'hm' });
    expect(neither.status).toBe(400);
    expect((await neither.json()).errors).toEqual([{ field: 'correctIntent', message: 'give correctIntent, rating, or both' }]);
    expect((await post({ correctIntent: 'refund' })).status).toBe(400);
  });

  it('400 for an intent the model does not know, listing valid ones; 404 for an unknown prediction', async () => {
    const typo = await post({ predictionId: 'req-1', correctIntent: 'refnud' });
    expect(typo.status).toBe(400);
    expect((await typo.json()).detail).toBe('correctIntent: unknown intent "refnud" (use one of the model\'s intents: billing, delivery, refund)');
    const missing = await post({ predictionId: 'req-404', rating: 1 });
    expect(missing.status).toBe(404);
    const problem = await missing.json();
    expect(problem.type).toBe('urn:intentops:problem:not-found');
    expect(problem.detail).toMatch(/prediction "req-404" is not in the prediction log.*only logged when events are enabled/);
  });

  it('413 over the body limit, 415 without JSON, 400 for broken JSON', async () => {
    expect((await post({ predictionId: 'req-1', rating: 1, comment: 'x'.repeat(5000) })).status).toBe(413);
    expect((await post('predictionId=req-1', { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await post('{"predictionId":')).status).toBe(400);
  });

  it('503 saying how to turn it on when no events store is configured', async () => {
    const res = await appWith(undefined).request('/v1/feedback', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"predictionId":"x","rating":1}' });
    expect(res.status).toBe(503);
    expect((await res.json()).detail).toMatch(/set events.uri/);
  });
});
