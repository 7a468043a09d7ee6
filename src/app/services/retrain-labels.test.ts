import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readBundle } from '../../adapters/bundle/index.js';
import { openPredictionLog } from '../../adapters/prediction-log/index.js';
import { openFeedbackStore } from '../../adapters/feedback-store/index.js';
import { openRegistryStore } from '../../adapters/registry/index.js';
import { openReviewStore } from '../../adapters/review-store/index.js';
import { openTrackingStore } from '../../adapters/tracking/index.js';
import { DEFAULT_LABEL_POLICY } from '../../core/labels/index.js';
import type { PredictionRecord } from '../../ports/prediction-log.js';
import { sampleRetrain } from '../../../test/helpers/retrain.js';
import { SAMPLE_TRAIN, tempDir } from '../../../test/helpers/sample.js';
import { loadExamples } from './dataset.js';
import { FeedbackService } from './feedback.js';
import { formatGateOutcome } from './gate.js';
import { retrain } from './retrain.js';
import type { LabelSettings } from './retrain-labels.js';

const NOW = new Date(Date.UTC(2025, 0, 10, 12));
const at = (daysAgo: number) => new Date(NOW.getTime() - daysAgo * 86_400_000).toISOString();
const settings: LabelSettings = { ...DEFAULT_LABEL_POLICY, sinceDays: 30, maxCandidates: 1000, measureAgreement: false };

let seq = 0;
function rec(text: string | undefined, intent: string, o: Partial<PredictionRecord> & { daysAgo?: number; prompt?: string } = {}): PredictionRecord {
  const { daysAgo = 1, prompt, ...rest } = o;
  const llm = rest.route === 'accepted' ? undefined : { model: 'gpt-test', promptTokens: 100, completionTokens: 5, costUsd: 0.0001, ...(prompt && { variant: prompt }) };
  return {
    id: `p${++seq}`,
    at: at(daysAgo),
    model: { name: 'tickets', version: '1' },
    variant: 'champion',
    intent,
    confidence: 0.5,
    route: 'llm',
    reason: 'llm_answered',
    cached: false,
    latencyMs: 3,
    ...(llm && { llm }),
    ...(text !== undefined && { text }),
    ...rest,
  } as PredictionRecord;
}

describe('retrain with machine labels from a real SQLite prediction log', () => {
  const work = tempDir('intentops-retrain-labels-');
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  // two trainings of the sample data each: minutes on a loaded machine
  const SLOW = { timeout: 300_000 };

  it('uses LLM answers and sure accepted answers by the policy, drops what people and audits contradict, and records the counts per provenance', SLOW, async () => {
    const db = `sqlite:${join(work, 'intentops.db')}`;
    const [log, feedbackStore, tracking, registryStore, review] = await Promise.all([openPredictionLog(db), openFeedbackStore(db), openTrackingStore(db), openRegistryStore(db), openReviewStore(db)]);
    try {
      const swimwear = (await loadExamples(SAMPLE_TRAIN)).examples[0];
      const voucher = rec('My voucher code is rejected at checkout', 'technical_error');
      const records = [
        rec('Mein Paket ist seit zwei Wochen unterwegs und nichts tut sich', 'delivery', { prompt: 'v2' }),
        rec('The parcel tracker has not moved since Monday', 'delivery', { daysAgo: 0.5 }),
        rec('the parcel tracker has NOT moved since monday!', 'delivery', { daysAgo: 2 }), // older duplicate
        rec('I was charged twice for order 881', 'payment_issue'), // an audit confirms it
        rec('App crashes when I open the basket', 'technical_error'), // an audit rejects it
        rec('Where can I change my shipping address on my profile', 'account_change'), // a reviewer says delivery
        rec('Do you have a shop in Vienna', 'product_info'), // a reviewer auditing an accepted answer says general_question
        voucher, // a feedback correction says payment_issue
        rec('what is the weather in Berlin', 'none', { reason: 'out_of_scope' }),
        rec('Do you sell gift cards?', 'gift_card'),
        rec(undefined, 'delivery'), // text not stored
        rec('shadow answers are not the client\'s', 'delivery', { variant: 'shadow' }),
        rec('an answer from two months ago', 'delivery', { daysAgo: 60 }),
        rec('Can I get my money back for the blue jacket', 'return_refund', { route: 'accepted', reason: 'confident', confidence: 0.95 }),
        rec(swimwear.text, swimwear.label, { route: 'accepted', reason: 'confident', confidence: 0.99 }), // in the data already
        rec('Is the wool sweater itchy', 'product_info', { route: 'accepted', reason: 'confident', confidence: 0.6 }),
      ];
      await log.append(records); // through the real adapter
      const item = await review.add({ text: 'Where can I change my shipping address on my profile?', guess: 'account_change', confidence: 0.4, alternatives: [], reason: 'low_confidence', model: { name: 'tickets', version: '1' } });
      await review.resolve(item.id, 'ana', { label: 'delivery' });
      const audit = await review.add({ text: 'Do you have a shop in Vienna?', guess: 'product_info', confidence: 0.95, alternatives: [], reason: 'audit', model: { name: 'tickets', version: '1' } });
      await review.resolve(audit.id, 'ana', { label: 'general_question' });
      const feedback = new FeedbackService({ store: feedbackStore, predictions: log });
      await feedback.give({ predictionId: voucher.id, correctIntent: 'payment_issue' }, 'bob');

      const out = join(work, 'm-labels');
      const r = await retrain({
        ...(await sampleRetrain(work, out, tracking, registryStore)),
        review,
        feedback,
        predictions: log,
        labels: settings,
        audits: async () => [
          { text: 'I was charged twice for order 881', intent: 'payment_issue', right: true },
          { text: 'App crashes when I open the basket', intent: 'technical_error', right: false },
        ],
        now: () => NOW,
      });

      // the prompt variant reaches the policy when the log stores it (an optional field newer adapters keep)
      const variantStored = (((await log.get(records[0].id))?.llm as { variant?: string } | undefined)?.variant ?? null) === 'v2';
      expect(r.labels).toMatchObject({
        since: at(30),
        records: 14, // 16 appended − 1 shadow − 1 older than 30 days (the one without text counts as read)
        withoutText: 1,
        truncated: 0,
        llm: {
          candidates: 10,
          used: 3,
          audited: 1,
          dropped: { duplicate: 1, audit_rejected: 1, contradicted: 3, out_of_scope: 1, unknown_intent: 1 },
          contradictedBy: { review: 1, feedback: 1, audit: 1 },
          byModel: { 'gpt-test': 3 },
          byVariant: variantStored ? { v2: 1, unknown: 2 } : { unknown: 3 },
        },
        self: { candidates: 3, used: 1, dropped: { already_labelled: 1, low_confidence: 1 } },
      });

      // what the model was trained on: the machine labels, never against a person's label
      const bundle = readBundle(out);
      const labelOf = (text: string) => bundle.examples.filter((e) => e.text === text).map((e) => e.label);
      expect(labelOf('Mein Paket ist seit zwei Wochen unterwegs und nichts tut sich')).toEqual(['delivery']);
      expect(labelOf('The parcel tracker has not moved since Monday')).toEqual(['delivery']);
      expect(labelOf('the parcel tracker has NOT moved since monday!')).toEqual([]);
      expect(labelOf('I was charged twice for order 881')).toEqual(['payment_issue']);
      expect(labelOf('Can I get my money back for the blue jacket')).toEqual(['return_refund']);
      expect(labelOf('App crashes when I open the basket')).toEqual([]);
      expect(labelOf('Where can I change my shipping address on my profile')).toEqual([]);
      expect(labelOf('Do you have a shop in Vienna')).toEqual([]);
      expect(labelOf('Do you have a shop in Vienna?')).toEqual(['general_question']);
      expect(labelOf('Where can I change my shipping address on my profile?')).toEqual(['delivery']);
      expect(labelOf('My voucher code is rejected at checkout')).toEqual(['payment_issue']);
      expect(labelOf('what is the weather in Berlin')).toEqual([]);
      expect(bundle.manifest.labels).not.toContain('gift_card');

      // calibration: every example trains (data, 3 review labels and corrections, 4 machine labels), but the 3 unconfirmed machine labels never calibrate (the audited one does),
      // and of people's labels only the audit item's (drawn at random from the traffic): the reviewed low-confidence item and the feedback correction were chosen for doubt (retrain.calibrateOn 'sampled')
      const base = (await loadExamples(SAMPLE_TRAIN)).examples.length;
      expect(bundle.manifest.training.trainExamples).toBe(base + 3 + 4);
      expect(bundle.manifest.training.valExamples).toBe(base + 1 + 1);

      // the run, the gate report and the registry say what was used
      const run = await tracking.getRun(r.runId);
      expect(run?.params).toMatchObject({ labels: { llm: { used: 3, candidates: 10, dropped: { contradicted: 3 }, contradictedBy: { audit: 1 } }, self: { used: 1 }, policy: { llm: { weight: 0.5 }, self: { weight: 0.3, minConfidence: 0.9 } } } });
      expect(run?.metrics).toMatchObject({ labelsLlm: 3, labelsSelf: 1, labelsDropped: 9, labelsWithoutText: 1 });
      expect(r.gate.labels).toEqual(r.labels);
      const text = formatGateOutcome(r.gate.outcome, r.gate.labels);
      expect(text).toContain(`LLM: 3 of 10 used (weight 0.5; 1 audit-confirmed at weight 1); dropped: contradicted 3 (by audit 1, feedback 1, review 1), audit_rejected 1, duplicate 1, out_of_scope 1, unknown_intent 1; models: gpt-test 3${variantStored ? '; prompts: unknown 2, v2 1' : ''}`);
      expect(text).toContain('self-training: 1 of 3 used (weight 0.3); dropped: already_labelled 1, low_confidence 1');
      expect(r.version).toBe(1);
      expect((await registryStore.getVersion('tickets', { alias: 'challenger' }))?.description).toContain('3 LLM and 1 self-training labels');

    } finally {
      await Promise.all([log.close(), feedbackStore.close(), tracking.close(), registryStore.close(), review.close()]);
    }
  });

  it('uses none when both provenances are switched off: the candidates are counted as disabled', SLOW, async () => {
    const db = `sqlite:${join(work, 'off.db')}`;
    const [log, tracking, registryStore] = await Promise.all([openPredictionLog(db), openTrackingStore(db), openRegistryStore(db)]);
    try {
      await log.append([rec('The parcel tracker has not moved since Monday', 'delivery'), rec('I was charged twice for order 881', 'payment_issue'), rec('Can I get my money back for the blue jacket', 'return_refund', { route: 'accepted', reason: 'confident', confidence: 0.95 })]);
      const base = (await loadExamples(SAMPLE_TRAIN)).examples.length;
      const off = await retrain({
        ...(await sampleRetrain(join(work, 'off'), join(work, 'm-off'), tracking, registryStore)),
        predictions: log,
        labels: { ...settings, llm: { ...settings.llm, enabled: false }, self: { ...settings.self, enabled: false } },
        now: () => NOW,
      });
      expect(off.labels).toMatchObject({ llm: { used: 0, dropped: { disabled: 2 } }, self: { used: 0, dropped: { disabled: 1 } } });
      expect(readBundle(join(work, 'm-off')).manifest.training.trainExamples).toBe(base);
    } finally {
      await Promise.all([log.close(), tracking.close(), registryStore.close()]);
    }
  });
});
