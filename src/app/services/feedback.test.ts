import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openPredictionLog } from '../../adapters/prediction-log/index.js';
import { openFeedbackStore } from '../../adapters/feedback-store/index.js';
import { createRedactor } from '../../core/privacy/index.js';
import type { FeedbackStore } from '../../ports/feedback-store.js';
import type { PredictionLog, PredictionRecord } from '../../ports/prediction-log.js';
import { rejection } from '../../../test/helpers/sample.js';
import type { ClassifyResult } from '../classify/service.js';
import { FeedbackService } from './feedback.js';
import { PredictionRecorder } from './prediction-recorder.js';

const LABELS = ['billing', 'delivery', 'refund', 'login_problem', 'security', 'product_info', 'subscription', 'account_change', 'technical_error', 'general_question', 'return_refund', 'payment_issue'];

function record(id: string, over: Partial<PredictionRecord> = {}): PredictionRecord {
  return { id, at: '2025-03-01T10:00:00.000Z', model: { name: 'tickets', version: 'abc' }, variant: 'champion', intent: 'billing', confidence: 0.62, route: 'accepted', reason: 'confident', cached: false, latencyMs: 2, ...over };
}

describe('FeedbackService', () => {
  let log: PredictionLog;
  let store: FeedbackStore;
  let t: number;
  beforeEach(async () => {
    t = Date.UTC(2025, 2, 2);
    log = await openPredictionLog('sqlite::memory:');
    store = await openFeedbackStore('sqlite::memory:', { now: () => (t += 1000) });
  });
  afterEach(async () => {
    await log.close();
    await store.close();
  });

  it('stores a correction and/or rating for a logged prediction, comment redacted, with its source', async () => {
    await log.append([record('p1')]);
    const service = new FeedbackService({ store, predictions: log, labels: () => LABELS, redact: createRedactor([{ name: 'order', regex: 'A-\\d{5}' }]) });
    const f = await service.give({ predictionId: 'p1', correctIntent: 'refund', rating: -1, comment: 'Order A-12345, mail me at max@example.com' }, 'ana');
    expect(f).toEqual({ id: f.id, predictionId: 'p1', correctIntent: 'refund', rating: -1, comment: 'Order [ORDER], mail me at [EMAIL]', source: 'ana', at: '2025-03-02T00:00:01.000Z' });
    const rating = await service.give({ predictionId: 'p1', rating: 1 }, 'api-key-1');
    expect(rating).not.toHaveProperty('correctIntent');
    expect(await service.list({ predictionId: 'p1' })).toEqual([f, rating]);
  });

  it('refuses feedback without a correction or rating, with an unknown intent (listing some), or for an unknown prediction', async () => {
    await log.append([record('p1')]);
    const service = new FeedbackService({ store, predictions: log, labels: () => LABELS });
    const none = await rejection(service.give({ predictionId: 'p1', comment: 'meh' }, 'ana'));
    expect(none).toMatchObject({ code: 'invalid_input', where: 'correctIntent' });
    expect(none.message).toMatch(/correctIntent, rating, or both/);
    const typo = await rejection(service.give({ predictionId: 'p1', correctIntent: 'refnud' }, 'ana'));
    expect(typo).toMatchObject({ code: 'invalid_input', where: 'correctIntent', message: 'unknown intent "refnud"' });
    expect(typo.hint).toMatch(/^use one of the model's intents: billing, delivery, refund, .*… \(12 in all\)$/);
    const missing = await rejection(service.give({ predictionId: 'p404', rating: 1 }, 'ana'));
    expect(missing).toMatchObject({ code: 'not_found', where: 'predictionId' });
    expect(missing.hint).toMatch(/only logged when events are enabled/);
    expect((await rejection(service.give({ predictionId: ' ', rating: 1 }, 'ana'))).code).toBe('invalid_input');
    expect((await rejection(service.give({ predictionId: 'p1', rating: 5 as never }, 'ana'))).message).toMatch(/rating: must be -1, 0 or 1/);
    expect(await service.list()).toEqual([]);
  });

  it('finds an answer still in the recorder’s buffer (feedback right after classify)', async () => {
    const recorder = new PredictionRecorder({ log, flushMs: 60_000 });
    const answer: ClassifyResult = { id: 'fresh', intent: 'billing', confidence: 0.5, local: { intent: 'billing', confidence: 0.5 }, route: 'accepted', reason: 'confident', outOfScope: false, alternatives: [], neighbours: [], model: { name: 'm', version: 'v' }, variant: 'champion', cached: false, timings: { modelMs: 1, llmMs: 0, totalMs: 1 } };
    recorder.onResult(answer, { text: 'x' });
    const service = new FeedbackService({ store, predictions: log, pending: recorder });
    expect(await service.give({ predictionId: 'fresh', rating: 1 }, 'ana')).toMatchObject({ predictionId: 'fresh', rating: 1 });
    await recorder.close();
  });

  it('labelledExamples: the latest correction per prediction joined with its stored text; corrections without a text are counted', async () => {
    await log.append([
      record('p1', { text: 'Ich wurde doppelt belastet, Karte [CARD]' }),
      record('p2', { text: 'where is my parcel' }),
      record('p3'), // logged without text (events.storeTexts off)
      record('p4', { text: 'password reset mail never came' }),
      record('p4', { variant: 'shadow', text: 'shadow copies carry no text in practice' }),
    ]);
    const service = new FeedbackService({ store, predictions: log, labels: () => LABELS });
    await service.give({ predictionId: 'p1', correctIntent: 'delivery' }, 'ana');
    await service.give({ predictionId: 'p2', correctIntent: 'delivery' }, 'ana');
    await service.give({ predictionId: 'p3', correctIntent: 'refund' }, 'ana');
    await service.give({ predictionId: 'p4', rating: -1 }, 'ana'); // no correction: not an example
    const since = (await service.give({ predictionId: 'p1', correctIntent: 'refund' }, 'bob')).at; // bob corrects ana
    const all = await service.labelledExamples();
    expect(all.examples.map(({ text, label, predictionId }) => ({ text, label, predictionId }))).toEqual([
      { text: 'where is my parcel', label: 'delivery', predictionId: 'p2' },
      { text: 'Ich wurde doppelt belastet, Karte [CARD]', label: 'refund', predictionId: 'p1' },
    ]);
    expect(all.examples[1].at).toBe(since);
    expect(all.withoutText).toBe(1);
    expect(await service.labelledExamples(since)).toEqual({ examples: [all.examples[1]], withoutText: 0 });
  });
});
