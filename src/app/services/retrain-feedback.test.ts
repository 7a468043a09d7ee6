import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readBundle } from '../../adapters/bundle/index.js';
import { openPredictionLog } from '../../adapters/prediction-log/index.js';
import { openFeedbackStore } from '../../adapters/feedback-store/index.js';
import { openRegistryStore } from '../../adapters/registry/index.js';
import { openReviewStore } from '../../adapters/review-store/index.js';
import { openTrackingStore } from '../../adapters/tracking/index.js';
import type { PredictionRecord } from '../../ports/prediction-log.js';
import { sampleRetrain } from '../../../test/helpers/retrain.js';
import { SAMPLE_TRAIN, tempDir } from '../../../test/helpers/sample.js';
import { loadExamples } from './dataset.js';
import { FeedbackService } from './feedback.js';
import { modelFromBundle } from '../container/index.js';
import { latestLabels, retrain } from './retrain.js';
import { OUT_OF_SCOPE, ReviewService } from './review.js';

const at = (day: number) => new Date(Date.UTC(2025, 0, day)).toISOString();

describe('latestLabels', () => {
  it('keeps the latest label of each text, comparing texts as near-duplicates; oldest first', () => {
    const { kept, superseded } = latestLabels([
      { text: 'Wo ist mein Paket?', label: 'delivery', at: at(3), from: 'review' },
      { text: 'wo ist  mein paket', label: 'return_refund', at: at(5), from: 'feedback' },
      { text: 'login broken', label: 'login_problem', at: at(4), from: 'feedback' },
      { text: 'Login broken!', label: 'technical_error', at: at(1), from: 'review' },
    ]);
    expect(kept).toEqual([
      { text: 'login broken', label: 'login_problem', at: at(4), from: 'feedback' },
      { text: 'wo ist  mein paket', label: 'return_refund', at: at(5), from: 'feedback' },
    ]);
    expect(superseded).toBe(2);
  });
});

describe('retrain with feedback corrections', () => {
  const work = tempDir('intentops-retrain-feedback-');
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('adds corrections and review labels (the later label of a text wins), counts them apart in the result and the run', async () => {
    const db = `sqlite:${join(work, 'intentops.db')}`;
    let reviewClock = Date.parse(at(2));
    const review = await openReviewStore(db, { now: () => reviewClock });
    let feedbackClock = Date.parse(at(3));
    const [log, feedbackStore, tracking, registryStore] = await Promise.all([openPredictionLog(db), openFeedbackStore(db, { now: () => feedbackClock }), openTrackingStore(db), openRegistryStore(db)]);
    try {
      // review: one label later overridden by a correction, one label given after a correction of the same text
      const zoll = await review.add({ text: 'Mein Paket hängt beim Zoll fest', guess: 'delivery', confidence: 0.4, alternatives: [], reason: 'low_confidence', model: { name: 'tickets', version: 'x' } });
      await review.resolve(zoll.id, 'ana', { label: 'general_question' }); // day 2
      const pw = await review.add({ text: 'Passwort-Mail kommt nicht an', guess: 'login_problem', confidence: 0.4, alternatives: [], reason: 'low_margin', model: { name: 'tickets', version: 'x' } });
      reviewClock = Date.parse(at(9));
      await review.resolve(pw.id, 'ana', { label: 'login_problem' }); // day 9: later than the correction below

      const rec = (id: string, text?: string): PredictionRecord => ({ id, at: at(1), model: { name: 'tickets', version: 'x' }, variant: 'champion', intent: 'general_question', confidence: 0.5, route: 'accepted', reason: 'confident', cached: false, latencyMs: 1, ...(text && { text }) });
      await log.append([rec('p1', 'mein Paket hängt beim Zoll fest!'), rec('p2', 'Ich wurde für Bestellung 4711 doppelt abgebucht'), rec('p3'), rec('p4', 'passwort-mail kommt nicht an')]);
      const feedback = new FeedbackService({ store: feedbackStore, predictions: log });
      await feedback.give({ predictionId: 'p1', correctIntent: 'delivery' }, 'bob'); // day 3: overrides ana's day-2 label
      await feedback.give({ predictionId: 'p2', correctIntent: 'payment_issue', rating: -1 }, 'bob');
      await feedback.give({ predictionId: 'p3', correctIntent: 'security' }, 'bob'); // no stored text
      await feedback.give({ predictionId: 'p4', correctIntent: 'technical_error' }, 'bob'); // day 3: loses to the day-9 review label
      feedbackClock = Date.parse(at(4));
      await feedback.give({ predictionId: 'p2', rating: 0 }, 'cy'); // a rating alone is no example

      const out = join(work, 'm-new');
      const r = await retrain({ ...(await sampleRetrain(work, out, tracking, registryStore)), review, feedback });
      expect(r.added).toEqual({ review: 1, feedback: 2, extra: 0, superseded: 2, feedbackWithoutText: 1, outOfScope: 0, newIntents: {}, heldBack: {} });
      expect(r.version).toBe(1);
      const run = await tracking.getRun(r.runId);
      expect(run?.params).toMatchObject({ retrain: true, reviewExamples: 1, feedbackExamples: 2, extraExamples: 0, supersededLabels: 2, feedbackWithoutText: 1 });
      const base = (await loadExamples(SAMPLE_TRAIN)).examples.length;
      expect(run?.metrics.trainExamples).toBe(base + 3);
      // what the new model was trained on
      const trained = readBundle(out).examples;
      const labelOf = (text: string) => trained.filter((e) => e.text === text).map((e) => e.label);
      expect(labelOf('mein Paket hängt beim Zoll fest!')).toEqual(['delivery']);
      expect(labelOf('Mein Paket hängt beim Zoll fest')).toEqual([]);
      expect(labelOf('Ich wurde für Bestellung 4711 doppelt abgebucht')).toEqual(['payment_issue']);
      expect(labelOf('Passwort-Mail kommt nicht an')).toEqual(['login_problem']);
      expect(labelOf('passwort-mail kommt nicht an')).toEqual([]);
      expect((await registryStore.getVersion('tickets', { alias: 'challenger' }))?.description).toBe('retrained with 1 review labels and 2 feedback corrections');
    } finally {
      await Promise.all([review.close(), log.close(), feedbackStore.close(), tracking.close(), registryStore.close()]);
    }
  });
});

describe('retrain with "not one of ours" and new-intent review labels', () => {
  const work = tempDir('intentops-retrain-open-');
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('learns out_of_scope labels as the out-of-scope class, a new intent with enough labels as a class, and holds back one with too few', async () => {
    const db = `sqlite:${join(work, 'intentops.db')}`;
    const review = await openReviewStore(db);
    const [tracking, registryStore] = await Promise.all([openTrackingStore(db), openRegistryStore(db)]);
    const labels = (await loadExamples(SAMPLE_TRAIN)).examples.map((e) => e.label);
    const reviews = new ReviewService(review, () => [...new Set(labels)]);
    const model = { name: 'tickets', version: 'x' };
    const add = async (text: string, label: string, newIntent = false) => {
      const item = await review.add({ text, guess: 'general_question', confidence: 0.3, alternatives: [], reason: 'out_of_scope', model });
      return reviews.label(item.id, 'ana', label, { newIntent });
    };
    try {
      const smallTalk = ['hello there', 'good morning to you', 'thanks a lot, bye', 'what is the weather like today', 'tell me a joke please', 'who won the football game yesterday', 'hallo, wie geht es dir', 'danke und tschüss'];
      for (const t of smallTalk) await add(t, OUT_OF_SCOPE);
      const giftCards = ['Can I buy a gift card for my sister?', 'How much can I put on a gift card?', 'Do gift cards expire?', 'Kann ich einen Gutschein kaufen?', 'Wie lange ist ein Geschenkgutschein gültig?', 'Can I pay with two gift cards at once?'];
      for (const t of giftCards) await add(t, 'gift_card', true);
      await add('Is there a loyalty programme?', 'loyalty', true);
      // a label that is none of these is still refused
      const stray = await review.add({ text: 'stray', guess: 'delivery', confidence: 0.3, alternatives: [], reason: 'low_confidence', model });
      await expect(reviews.label(stray.id, 'ana', 'loyalty')).rejects.toThrow(/unknown intent "loyalty"/);
      await expect(reviews.label(stray.id, 'ana', 'delivery', { newIntent: true })).rejects.toThrow(/already one of the model's intents/);
      await expect(reviews.label(stray.id, 'ana', ' bad name', { newIntent: true })).rejects.toThrow(/not usable/);

      const out = join(work, 'm-open');
      const r = await retrain({ ...(await sampleRetrain(work, out, tracking, registryStore)), review });
      expect(r.added).toMatchObject({ review: smallTalk.length + giftCards.length, outOfScope: smallTalk.length, newIntents: { gift_card: giftCards.length }, heldBack: { loyalty: 1 } });
      const run = await tracking.getRun(r.runId);
      expect(run?.params).toMatchObject({ outOfScopeExamples: smallTalk.length, newIntents: 'gift_card', heldBackNewIntents: 'loyalty' });
      const m = readBundle(out).manifest;
      expect(m.labels).toContain('gift_card');
      expect(m.labels).not.toContain('loyalty');
      expect(m.outOfScopeLabels).toEqual([OUT_OF_SCOPE]);
      const trained = await modelFromBundle(readBundle(out), {});
      const [greeting] = await trained.classify(['hello, good morning']);
      expect(greeting.outOfScope).toBe(true);
    } finally {
      await Promise.all([review.close(), tracking.close(), registryStore.close()]);
    }
  });
});
