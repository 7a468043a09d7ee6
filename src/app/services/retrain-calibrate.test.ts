import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readBundle } from '../../adapters/bundle/index.js';
import { openRegistryStore } from '../../adapters/registry/index.js';
import { openReviewStore } from '../../adapters/review-store/index.js';
import { openTrackingStore } from '../../adapters/tracking/index.js';
import type { ReviewReason } from '../../ports/review-store.js';
import { sampleRetrain } from '../../../test/helpers/retrain.js';
import { SAMPLE_TRAIN, tempDir } from '../../../test/helpers/sample.js';
import { loadExamples } from './dataset.js';
import { retrain, type CalibrateOn } from './retrain.js';
import { OUT_OF_SCOPE } from './review.js';

/**
 * retrain's calibrateOn: which people's labels calibrate the routing thresholds. Labels of items
 * drawn at random from the traffic (audits, LLM checks) always calibrate; with `sampled`, labels
 * of items chosen for doubt (taken in queue order, members of a discovery cluster) train only.
 */
describe('retrain: which review labels calibrate (retrain.calibrateOn), on a real SQLite review store', () => {
  const work = tempDir('intentops-retrain-calibrate-');
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const SLOW = { timeout: 300_000 };

  const labelled: [string, ReviewReason, string][] = [
    ['I ordered a scarf three weeks ago and it still has not come', 'low_confidence', 'delivery'],
    ['Your app logs me out every time I switch screens', 'out_of_scope', 'technical_error'],
    ['Was I billed twice for the same pair of boots?', 'llm_check', 'payment_issue'],
    ['How long do I have to send back a coat I do not like', 'audit', 'return_refund'],
    // "not one of ours", taken in queue order: calibrates anyway (the novelty fit's off-topic examples)
    ['what is the weather like in Lisbon this weekend', 'out_of_scope', OUT_OF_SCOPE],
    ['tell me a joke about penguins', 'out_of_scope', OUT_OF_SCOPE],
    ['who won the chess match last night', 'out_of_scope', OUT_OF_SCOPE],
  ];

  async function trainWith(mode: CalibrateOn | undefined, name: string) {
    const db = `sqlite:${join(work, `${name}.db`)}`;
    const [tracking, registryStore, review] = await Promise.all([openTrackingStore(db), openRegistryStore(db), openReviewStore(db)]);
    try {
      for (const [text, reason, label] of labelled) {
        const item = await review.add({ text, guess: 'general_question', confidence: 0.4, alternatives: [], reason, model: { name: 'tickets', version: '1' } });
        await review.resolve(item.id, 'ana', { label });
      }
      const out = join(work, name);
      const r = await retrain({ ...(await sampleRetrain(join(work, `w-${name}`), out, tracking, registryStore)), review, ...(mode && { calibrateOn: mode }) });
      return { r, manifest: readBundle(out).manifest, run: await tracking.getRun(r.runId) };
    } finally {
      await Promise.all([tracking.close(), registryStore.close(), review.close()]);
    }
  }

  it('`sampled` (the default): every review label trains, only the audit and LLM-check items and the out-of-scope labels calibrate; the run records both counts', SLOW, async () => {
    const base = (await loadExamples(SAMPLE_TRAIN)).examples.length;
    const { r, manifest, run } = await trainWith(undefined, 'sampled');
    expect(r.added.review).toBe(7);
    expect(manifest.training.trainExamples).toBe(base + 7);
    expect(manifest.training.valExamples).toBe(base + 2 + 3);
    expect(manifest.outOfScopeLabels).toEqual([OUT_OF_SCOPE]);
    expect(run?.params).toMatchObject({ calibrateOn: 'sampled', peopleLabelsNotCalibrating: 2 });
    // the labels taken in queue order still reach the model
    const trained = new Set(readBundle(join(work, 'sampled')).examples.map((e) => e.text));
    for (const [text] of labelled) expect(trained.has(text)).toBe(true);
  });

  it('`all`: every review label trains and calibrates', SLOW, async () => {
    const base = (await loadExamples(SAMPLE_TRAIN)).examples.length;
    const { manifest, run } = await trainWith('all', 'all');
    expect(manifest.training.trainExamples).toBe(base + 7);
    expect(manifest.training.valExamples).toBe(base + 7);
    expect(run?.params).toMatchObject({ calibrateOn: 'all', peopleLabelsNotCalibrating: 0 });
  });
});
