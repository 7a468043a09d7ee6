import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openPredictionLog } from '../../adapters/prediction-log/index.js';
import { openFeedbackStore } from '../../adapters/feedback-store/index.js';
import { createLlm } from '../../adapters/llm/index.js';
import { openRolloutStore } from '../../adapters/rollout/index.js';
import { openReviewStore } from '../../adapters/review-store/index.js';
import type { PredictionRecord } from '../../ports/prediction-log.js';
import type { ModelVersion } from '../../ports/registry-store.js';
import type { RolloutStore } from '../../ports/rollout-store.js';
import { ROOT, SAMPLE_TEST, rejection, tempDir } from '../../../test/helpers/sample.js';
import { sampleModel } from '../../../test/helpers/serving.js';
import { loadConfig, type Config } from '../config.js';
import { openModel, openRegistry, rolloutGate } from '../container/index.js';
import { startFakeLlm } from '../dev/fake-llm-server.js';
import { ClassifyService, modelIdentity, serveAs, type ClassifyResult } from '../classify/service.js';
import { loadExamples } from './dataset.js';
import type { IntentModel } from '../classify/model.js';
import { registerBundle, resolveModelUri, setAlias, type Registry } from './registry.js';
import { LiveRollout, RolloutService } from './rollout.js';

const GATES = join(ROOT, 'test/fixtures/gates');

/** A fresh registry with `tickets` v1 (champion) and v2 (challenger): the sample model trained with two seeds. */
async function twoVersions(): Promise<{ c: Config; reg: Registry; rollout: RolloutStore; close(): Promise<void> }> {
  const dir = tempDir('intentops-rollout-');
  const c = loadConfig({ env: {}, flags: { registry: { uri: `sqlite:${join(dir, 'intentops.db')}`, artifacts: `file:${join(dir, 'artifacts')}` } } });
  const reg = await openRegistry(c);
  const [a, b] = await Promise.all([sampleModel(7), sampleModel(3)]);
  await registerBundle(reg, a, 'tickets', { who: 'test' });
  await registerBundle(reg, b, 'tickets', { who: 'test' });
  await setAlias(reg, 'tickets', 'champion', 1, { who: 'test', why: 'first' });
  await setAlias(reg, 'tickets', 'challenger', 2, { who: 'test', why: 'seed 3' });
  const rollout = await openRolloutStore(c.registry.uri);
  return { c, reg, rollout, close: async () => void (await Promise.all([rollout.close(), reg.store.close()])) };
}

describe('LiveRollout: what a server routes between', () => {
  let f: Awaited<ReturnType<typeof twoVersions>>;
  let loads: number[];
  let live: LiveRollout;
  beforeAll(async () => {
    f = await twoVersions();
    loads = [];
    const load = async (v: ModelVersion) => {
      loads.push(v.version);
      return serveAs(await openModel((await resolveModelUri(f.reg, `models:/${v.name}/${v.version}`)).path, f.c), { name: v.name, version: String(v.version) });
    };
    live = await LiveRollout.open({ name: 'tickets', registry: f.reg.store, rollout: f.rollout, load, now: () => new Date('2025-05-01T00:00:00Z') });
  });
  afterAll(() => f.close());

  it('starts with the champion only while the rollout is off', () => {
    const a = live.arms();
    expect(a).toMatchObject({ name: 'tickets', mode: 'off', share: 0 });
    expect(a.challenger).toBeUndefined();
    expect(modelIdentity(a.champion)).toEqual({ name: 'tickets', version: '1' });
    expect(loads).toEqual([1]);
    expect(live.view()).toMatchObject({ mode: 'off', champion: 1, challenger: null, stats: { champion: '1', challenger: '2', since: '2025-05-01T00:00:00.000Z' } });
  });

  it('loads the challenger when the mode needs it, swapping the whole arms object; figures survive a mode change', async () => {
    const before = live.arms();
    await f.rollout.set({ name: 'tickets', mode: 'shadow', share: 0, who: 'ana' });
    expect(await live.refresh()).toEqual(['challenger v2 loaded', 'mode shadow']);
    const a = live.arms();
    expect(a).not.toBe(before);
    expect(before.challenger).toBeUndefined();
    expect(a.champion).toBe(before.champion);
    expect(modelIdentity(a.challenger!)).toEqual({ name: 'tickets', version: '2' });
    expect(a.stats).toBe(before.stats);
    await f.rollout.set({ name: 'tickets', mode: 'canary', share: 0.2, who: 'ana' });
    expect(await live.refresh()).toEqual(['mode canary 0.2']);
    expect(live.arms()).toMatchObject({ mode: 'canary', share: 0.2 });
    expect(live.arms().challenger).toBe(a.challenger);
    expect(await live.refresh()).toEqual([]);
    expect(loads).toEqual([1, 2]);
  });

  it('swaps a promoted challenger in without loading it again, and serves off when the challenger is gone', async () => {
    const chal = live.arms().challenger;
    await setAlias(f.reg, 'tickets', 'champion', 2, { who: 'ana' });
    const changes = await live.refresh();
    expect(changes[0]).toBe('champion v1 → v2');
    expect(live.arms().champion).toBe(chal);
    // challenger == champion: nothing to compare, so off whatever the stored mode says
    expect(live.arms()).toMatchObject({ mode: 'off', share: 0 });
    expect(live.arms().challenger).toBeUndefined();
    expect(loads).toEqual([1, 2]);
    await setAlias(f.reg, 'tickets', 'champion', 1, { who: 'ana' });
    await live.refresh();
    expect(live.arms()).toMatchObject({ mode: 'canary', share: 0.2 });
    expect(loads).toEqual([1, 2, 1]);
    await f.reg.store.moveAlias({ name: 'tickets', alias: 'challenger', to: null, who: 'ana' });
    expect(await live.refresh()).toEqual(['challenger unloaded', 'challenger alias → none', 'mode off (canary needs a challenger other than the champion)']);
    expect(live.view()).toMatchObject({ mode: 'off', challenger: null, stats: { challenger: null } });
  });

  it('refuses to start without a champion', async () => {
    const g = await twoVersions();
    try {
      await g.reg.store.moveAlias({ name: 'tickets', alias: 'champion', to: null, who: 'ana' });
      const load = async (): Promise<IntentModel> => {
        throw new Error('not reached');
      };
      const err = await rejection(LiveRollout.open({ name: 'tickets', registry: g.reg.store, rollout: g.rollout, load }));
      expect(err.code).toBe('not_found');
      expect(err.message).toMatch(/model tickets has no champion alias/);
      expect((await rejection(LiveRollout.open({ name: 'nobody', registry: g.reg.store, rollout: g.rollout, load }))).message).toBe('no registered model named "nobody"');
    } finally {
      await g.close();
    }
  });
});

describe('RolloutService: set, promote, rollback', () => {
  let f: Awaited<ReturnType<typeof twoVersions>>;
  let s: RolloutService;
  beforeEach(async () => {
    f = await twoVersions();
    s = new RolloutService({ registry: f.reg, rollout: f.rollout, gate: rolloutGate(f.c, { gates: join(GATES, 'lenient.yaml'), data: SAMPLE_TEST }) });
    return () => f.close();
  });

  it('sets modes with their shares, audited, and reports versions', async () => {
    expect(await s.status('tickets')).toMatchObject({ name: 'tickets', mode: 'off', share: 0, updatedBy: null, champion: { version: 1 }, challenger: { version: 2 }, history: [] });
    await s.set('tickets', { mode: 'canary', who: 'ana', why: 'first slice' });
    const st = await s.set('tickets', { mode: 'ab', share: 0.3, who: 'bo', why: 'compare' });
    expect(st).toMatchObject({ mode: 'ab', share: 0.3, updatedBy: 'bo', note: 'compare' });
    expect(st.history.map((h) => [h.from, h.to, h.who])).toEqual([
      [{ mode: 'canary', share: 0.05 }, { mode: 'ab', share: 0.3 }, 'bo'],
      [null, { mode: 'canary', share: 0.05 }, 'ana'],
    ]);
  });

  it('refuses bad input and impossible rollouts with typed errors, changing nothing', async () => {
    expect((await rejection(s.set('tickets', { mode: 'canary', share: 1.5, who: 'ana', why: 'x' }))).where).toBe('share');
    expect((await rejection(s.set('tickets', { mode: 'blue', who: 'ana', why: 'x' }))).where).toBe('mode');
    expect((await rejection(s.set('tickets', { mode: 'canary', who: 'ana', why: ' ' }))).where).toBe('why');
    expect((await rejection(s.set('nobody', { mode: 'canary', who: 'ana', why: 'x' }))).code).toBe('not_found');
    await setAlias(f.reg, 'tickets', 'challenger', 1, { who: 'ana' });
    expect((await rejection(s.set('tickets', { mode: 'shadow', who: 'ana', why: 'x' }))).message).toMatch(/challenger \(v1\) is the champion/);
    await f.reg.store.moveAlias({ name: 'tickets', alias: 'challenger', to: null, who: 'ana' });
    const none = await rejection(s.set('tickets', { mode: 'canary', who: 'ana', why: 'x' }));
    expect(none.code).toBe('not_found');
    expect(none.message).toMatch(/no challenger alias/);
    // off needs no challenger
    await s.set('tickets', { mode: 'off', who: 'ana', why: 'x' });
    expect((await s.status('tickets')).history).toHaveLength(1);
    const promote = await rejection(s.promote('tickets', { who: 'ana', why: 'x' }));
    expect([promote.code, promote.message]).toEqual(['not_found', 'model tickets has no challenger alias: there is nothing to promote']);
  });

  it('promotes after the gate passes (audited like `intentops promote`) and turns the rollout off', async () => {
    await s.set('tickets', { mode: 'canary', share: 0.2, who: 'ana', why: 'x' });
    const r = await s.promote('tickets', { who: 'ana', why: 'canary looked good' });
    expect(r).toMatchObject({ promoted: true, from: 1, to: 2, gate: { passed: true } });
    const [move] = await f.reg.store.history('tickets', { alias: 'champion', limit: 1 });
    expect(move).toMatchObject({ from: 1, to: 2, who: 'ana' });
    expect(move.why).toMatch(/^gate passed: .*; canary looked good$/);
    expect(await s.status('tickets')).toMatchObject({ mode: 'off', note: 'promoted v2: canary looked good', champion: { version: 2 } });
    expect((await rejection(s.promote('tickets', { who: 'ana', why: 'again' }))).message).toMatch(/v2 is already the champion/);
  });

  it('does not promote when the gate fails; needs a gate or force', async () => {
    const strict = new RolloutService({ registry: f.reg, rollout: f.rollout, gate: rolloutGate(f.c, { gates: join(GATES, 'strict.yaml'), data: SAMPLE_TEST }) });
    const r = await strict.promote('tickets', { who: 'ana', why: 'try' });
    expect(r).toMatchObject({ promoted: false, champion: 1, challenger: 2, gate: { passed: false } });
    expect((await f.reg.store.getModel('tickets'))!.aliases.champion).toBe(1);
    const bare = new RolloutService({ registry: f.reg, rollout: f.rollout });
    expect((await rejection(bare.promote('tickets', { who: 'ana', why: 'try' }))).message).toMatch(/runs the quality gate first/);
    expect(await bare.promote('tickets', { who: 'ana', why: 'hotfix', force: true })).toEqual({ promoted: true, name: 'tickets', from: 1, to: 2 });
    expect((await f.reg.store.history('tickets', { alias: 'champion', limit: 1 }))[0].why).toBe('forced: hotfix');
  });

  it('rolls back one step: a running rollout off, then the champion to its previous version', async () => {
    expect((await rejection(s.rollback('tickets', { who: 'ana', why: 'x' }))).message).toMatch(/nothing to roll back to: champion v1 is the first champion/);
    await s.set('tickets', { mode: 'canary', share: 0.2, who: 'ana', why: 'x' });
    expect(await s.rollback('tickets', { who: 'bo', why: 'errors up' })).toEqual({ action: 'rollout-off', name: 'tickets', from: { mode: 'canary', share: 0.2 }, champion: 1 });
    expect(await s.status('tickets')).toMatchObject({ mode: 'off', updatedBy: 'bo', note: 'rollback: errors up' });
    await s.promote('tickets', { who: 'ana', why: 'go', force: true });
    expect(await s.rollback('tickets', { who: 'bo', why: 'complaints' })).toEqual({ action: 'champion-restored', name: 'tickets', from: 2, to: 1 });
    const [move] = await f.reg.store.history('tickets', { alias: 'champion', limit: 1 });
    expect(move).toMatchObject({ from: 2, to: 1, who: 'bo', why: 'rollback: complaints' });
  });
});

describe('RolloutService: A/B analysis on review labels and feedback', () => {
  it('counts outcomes per version from the review queue and feedback joined with the prediction log, and recommends', async () => {
    const f = await twoVersions();
    const reviews = await openReviewStore('sqlite::memory:');
    const predictions = await openPredictionLog('sqlite::memory:');
    const feedback = await openFeedbackStore('sqlite::memory:');
    try {
      // review labels: champion right 30/60, challenger right 50/60
      for (const [version, right] of [['1', 30], ['2', 50]] as const) {
        for (let i = 0; i < 60; i++) {
          const item = await reviews.add({ text: `m${version}-${i}`, guess: 'delivery', confidence: 0.4, alternatives: [], reason: 'low_confidence', model: { name: 'tickets', version } });
          await reviews.claim(item.id, 'ana');
          await reviews.resolve(item.id, 'ana', { label: i < right ? 'delivery' : 'refund' });
        }
      }
      // an unrelated model's label does not count
      const other = await reviews.add({ text: 'x', guess: 'a', confidence: 0.4, alternatives: [], reason: 'low_confidence', model: { name: 'other', version: '1' } });
      await reviews.claim(other.id, 'ana');
      await reviews.resolve(other.id, 'ana', { label: 'a' });
      // feedback: 80 champion answers with a shadow score; the right intent is named; challenger answers rated
      const at = new Date().toISOString();
      const rec = (id: string, variant: PredictionRecord['variant'], version: string, intent: string): PredictionRecord => ({ id, at, model: { name: 'tickets', version }, variant, intent, confidence: 0.9, route: 'accepted', reason: 'confident', cached: false, latencyMs: 1 });
      const recs: PredictionRecord[] = [];
      for (let i = 0; i < 80; i++) {
        recs.push(rec(`c${i}`, 'champion', '1', i < 50 ? 'delivery' : 'refund'), rec(`c${i}`, 'shadow', '2', i < 70 ? 'delivery' : 'refund'));
        await feedback.add({ predictionId: `c${i}`, correctIntent: 'delivery', source: 'client' });
      }
      for (let i = 0; i < 60; i++) {
        recs.push(rec(`x${i}`, 'challenger', '2', 'delivery'));
        await feedback.add({ predictionId: `x${i}`, rating: i < 55 ? 1 : -1, source: 'client' });
      }
      await predictions.append(recs);
      const s = new RolloutService({ registry: f.reg, rollout: f.rollout, outcomes: { reviews, predictions, feedback } });
      const ab = (await s.status('tickets', { analysis: true })).ab!;
      expect(ab.sources).toEqual(['review', 'feedback']);
      expect(ab.bySource).toEqual({ review: { champion: { n: 60, correct: 30 }, challenger: { n: 60, correct: 50 } }, feedback: { champion: { n: 80, correct: 50 }, challenger: { n: 60, correct: 55 } } });
      expect(ab.champion).toMatchObject({ n: 140, correct: 80 });
      expect(ab.challenger).toMatchObject({ n: 120, correct: 105 });
      // shadow pairs: champion right on 0–49, challenger on 0–69
      expect(ab.paired).toMatchObject({ n: 80, challengerOnly: 20, championOnly: 0 });
      expect(ab.recommendation).toBe('promote');
      expect(ab.basis).toBe('unpaired');
      expect(ab.reason).toMatch(/significantly more accurate: champion 57\.1 %, challenger 87\.5 %/);
      // the per-variant figures of every replica, from the prediction log
      const logged = (await s.status('tickets', { analysis: true })).logged!;
      expect(logged.variants.champion.requests).toBe(80);
      expect(logged.variants.challenger.requests).toBe(60);
      expect(logged.shadow).toMatchObject({ compared: 80, agreed: 60 });
      expect(logged.variants.champion.latencyMs).toMatchObject({ model: null, total: { p50: 1 } });
      // without outcome sources: no data, and it says so
      const bare = await new RolloutService({ registry: f.reg, rollout: f.rollout }).status('tickets', { analysis: true });
      expect(bare.ab).toMatchObject({ sources: [], recommendation: 'need more data', champion: { n: 0 }, challenger: { n: 0 } });
    } finally {
      await Promise.all([reviews.close(), predictions.close(), feedback.close(), f.close()]);
    }
  });
});

describe('ClassifyService under a shadow rollout', () => {
  it('scores with the challenger after the answers, with no LLM call, review item or cache write; a full queue drops shadow work, never requests', async () => {
    const f = await twoVersions();
    const fake = await startFakeLlm();
    const review = await openReviewStore('sqlite::memory:');
    const cache = new Map<string, unknown>();
    try {
      const load = async (v: ModelVersion) => serveAs(await openModel((await resolveModelUri(f.reg, `models:/${v.name}/${v.version}`)).path, f.c), { name: v.name, version: String(v.version) });
      await f.rollout.set({ name: 'tickets', mode: 'shadow', share: 0, who: 'ana' });
      const live = await LiveRollout.open({ name: 'tickets', registry: f.reg.store, rollout: f.rollout, load });
      const llm = await createLlm('openai-chat', { baseUrl: fake.baseUrl, apiKey: 'k', model: 'gpt-4o-mini' });
      const shadows: [ClassifyResult, ClassifyResult][] = [];
      const service = (shadowQueue: number) =>
        new ClassifyService({
          model: () => live.arms().champion,
          arms: live.arms,
          llm,
          review,
          // the answer cache port over a Map: counts what the service writes
          cache: { get: async (k) => cache.get(k) as never, set: async (k, v) => void cache.set(k, v), close: async () => undefined },
          shadowQueue,
          observer: { onResult: () => undefined, onShadow: (a, s) => void shadows.push([a, s]) },
        });
      const texts = [...new Set((await loadExamples(SAMPLE_TEST)).examples.map((e) => e.text))].slice(0, 120);
      const s = service(1000);
      const answers = await s.classifyBatch(texts.map((text) => ({ text })));
      await s.shadowIdle();
      expect(answers.every((r) => r.variant === 'champion' && r.model.version === '1')).toBe(true);
      expect(shadows).toHaveLength(texts.length);
      const wouldAsk = shadows.filter(([, sh]) => sh.route === 'llm').length;
      expect(wouldAsk).toBeGreaterThan(0);
      // only the champion's unsure answers reached the LLM, queued reviews or cached answers
      // (the adapter's own queue may refuse some: those get no LLM usage and make no request)
      expect(fake.requests).toHaveLength(answers.filter((r) => r.llm !== undefined).length);
      expect((await review.list({ limit: 1000 })).length).toBe(answers.filter((r) => r.review).length);
      expect(cache.size).toBe(answers.filter((r) => r.route !== 'review').length);
      expect(live.view().stats.shadow).toMatchObject({ compared: texts.length, dropped: 0, errors: 0 });

      const small = service(5);
      const more = await small.classifyBatch(texts.slice(0, 10).map((text) => ({ text })));
      expect(more).toHaveLength(10);
      const few = await small.classifyBatch(texts.slice(0, 3).map((text) => ({ text })));
      await small.shadowIdle();
      expect(few.every((r) => r.variant === 'champion')).toBe(true);
      expect(live.view().stats.shadow).toMatchObject({ compared: texts.length + 3, dropped: 10 });

      // a challenger that fails: answers are unaffected, the failure is counted and reported
      const errors: unknown[] = [];
      const broken = { classify: async () => Promise.reject(new Error('challenger broke')) } as unknown as IntentModel; // only classify is called on a shadow
      const failing = new ClassifyService({ model: () => live.arms().champion, arms: () => ({ ...live.arms(), challenger: broken }), shadowQueue: 100, observer: { onResult: () => undefined, onShadowError: (e) => void errors.push(e) } });
      expect(await failing.classifyBatch([{ text: texts[0] }])).toHaveLength(1);
      await failing.shadowIdle();
      expect(errors.map((e) => (e as Error).message)).toEqual(['challenger broke']);
      expect(live.view().stats.shadow.errors).toBe(1);
    } finally {
      await Promise.all([review.close(), fake.close(), f.close()]);
    }
  });
});
