import { describe, expect, it } from 'vitest';
import { openReviewStore } from '../../adapters/review-store/index.js';
import type { Llm, LlmRequest } from '../../ports/llm.js';
import { Auditor } from './audit.js';
import type { ClassifyResult } from '../classify/service.js';

const result = (id: string, intent: string, o: Partial<ClassifyResult> = {}): ClassifyResult => ({
  id,
  intent,
  confidence: 0.99,
  local: { intent, confidence: 0.99 },
  route: 'accepted',
  reason: 'confident',
  outOfScope: false,
  alternatives: [{ intent, score: 0.99 }, { intent: 'other', score: 0.01 }],
  neighbours: [],
  model: { name: 'm', version: 'v1' },
  variant: 'champion',
  cached: false,
  timings: { modelMs: 0.1, llmMs: 0, totalMs: 0.1 },
  ...o,
});

/** An LLM judge that agrees with the accepted intent unless the text says otherwise. */
function judge(): Llm & { asked: LlmRequest[] } {
  const asked: LlmRequest[] = [];
  return {
    name: 'judge',
    asked,
    async classify(req) {
      asked.push(req);
      return { intent: req.text.startsWith('wrong') ? 'other' : req.intents[0].name, model: 'judge', variant: 'judge-v1', usage: { promptTokens: 1, completionTokens: 1, costUsd: 0 }, latencyMs: 1 };
    },
  };
}

const settle = () => new Promise((r) => setTimeout(r, 20));

describe('Auditor', () => {
  it('judges a sample of accepted answers with the LLM and reports a Wilson interval against the target', async () => {
    const llm = judge();
    const a = new Auditor({ sampleRate: 1, windowMinutes: 60, target: () => 0.97, llm, maxInFlight: 1000 });
    for (let i = 0; i < 200; i++) a.onResult(result(`m${i}`, 'billing'), { text: i < 20 ? `wrong ${i}` : `right ${i}` });
    // not audited: unsure answers, cached answers, shadow scores
    a.onResult(result('u', 'billing', { route: 'llm' }), { text: 'x' });
    a.onResult(result('c', 'billing', { cached: true }), { text: 'x' });
    await settle();
    expect(llm.asked).toHaveLength(200);
    const f = a.figures();
    expect(f).toMatchObject({ audited: 200, right: 180, judge: 'llm', target: 0.97 });
    expect(f.estimate).toBeCloseTo(0.9, 12);
    expect(f.lower).toBeLessThan(0.9);
    expect(f.upper).toBeGreaterThan(0.9);
    // 0.9 with 200 audits: the interval's top (≈ 0.94) is below 0.97 — the promise is broken
    expect(f.belowTarget).toBe(true);
  });

  it('samples by message id at the configured rate and skips audits beyond the judges in flight', async () => {
    const llm = judge();
    const a = new Auditor({ sampleRate: 0.1, windowMinutes: 60, target: () => 0.97, llm, maxInFlight: 1000 });
    for (let i = 0; i < 2000; i++) a.onResult(result(`id-${i}`, 'billing'), { text: 'right' });
    await settle();
    expect(llm.asked.length).toBeGreaterThan(140);
    expect(llm.asked.length).toBeLessThan(260);
    const busy = new Auditor({ sampleRate: 1, windowMinutes: 60, target: () => 0.97, llm: judge(), maxInFlight: 2 });
    for (let i = 0; i < 10; i++) busy.onResult(result(`b${i}`, 'billing'), { text: 'right' });
    expect(busy.figures().skipped).toBe(8);
  });

  it('without an LLM queues audit items for review and counts the reviewers\' labels', async () => {
    const review = await openReviewStore('sqlite::memory:');
    const a = new Auditor({ sampleRate: 1, windowMinutes: 60, target: () => 0.97, review });
    a.onResult(result('r1', 'billing'), { text: 'my invoice is wrong' });
    a.onResult(result('r2', 'shipping'), { text: 'hello there' });
    await settle();
    const items = await review.list({ state: 'open' });
    expect(items.map((i) => [i.reason, i.guess]).sort()).toEqual([
      ['audit', 'billing'],
      ['audit', 'shipping'],
    ]);
    expect(a.figures()).toMatchObject({ audited: 0, awaiting: 2, judge: 'review', belowTarget: false });
    const byGuess = Object.fromEntries(items.map((i) => [i.guess, i.id]));
    await review.resolve(byGuess.billing, 'ann', { label: 'billing' });
    await review.resolve(byGuess.shipping, 'ann', { label: 'greeting' });
    expect(await a.poll()).toBe(2);
    expect(a.figures()).toMatchObject({ audited: 2, right: 1, awaiting: 0 });
    await review.close();
  });

  it("counts people's labels of llm_check items as the LLM's live precision, apart from the accepted answers' audit", async () => {
    const review = await openReviewStore('sqlite::memory:');
    const llm = judge();
    const a = new Auditor({ sampleRate: 0, windowMinutes: 60, target: () => 0.97, llm, review });
    const texts = ['card not here yet', 'refund please', 'top up failed'];
    for (const [i, text] of texts.entries()) {
      const item = await review.add({ text, guess: 'card_arrival', confidence: 0.4, alternatives: [], reason: 'llm_check', model: { name: 'm', version: 'v1' } });
      a.onResult(result(`l${i}`, 'card_arrival', { route: 'llm', reason: 'llm_answered', confidence: null, review: { id: item.id } }), { text });
    }
    // an LLM answer not queued, and one queued while the store was away: nothing to await
    a.onResult(result('l3', 'card_arrival', { route: 'llm', reason: 'llm_answered', confidence: null }), { text: 'x' });
    a.onResult(result('l4', 'card_arrival', { route: 'llm', reason: 'llm_answered', confidence: null, review: { id: 'spooled', pending: true } }), { text: 'y' });
    expect(a.figures().llm).toMatchObject({ checked: 0, awaiting: 3 });
    expect(a.figures().llm.estimate).toBeNaN();
    const items = await review.list({ state: 'open' });
    const byText = Object.fromEntries(items.map((i) => [i.text, i.id]));
    await review.resolve(byText['card not here yet'], 'ann', { label: 'card_arrival' });
    await review.resolve(byText['refund please'], 'ann', { label: 'request_refund' });
    expect(await a.poll()).toBe(2);
    const f = a.figures();
    expect(f.llm).toMatchObject({ checked: 2, right: 1, estimate: 0.5, awaiting: 1 });
    expect(f.llm.lower).toBeLessThan(0.5);
    expect(f.llm.upper).toBeGreaterThan(0.5);
    // the accepted answers' audit is untouched, and the LLM judge was never asked about these
    expect(f).toMatchObject({ audited: 0, awaiting: 0 });
    expect(llm.asked).toHaveLength(0);
    await review.close();
  });

  it('counts the out-of-scope share of the window and forgets minutes older than it', () => {
    let now = 0;
    const a = new Auditor({ sampleRate: 0, windowMinutes: 2, target: () => 0.97, now: () => now });
    for (let i = 0; i < 8; i++) a.onResult(result(`o${i}`, 'billing', { outOfScope: i < 2 }), { text: 't' });
    expect(a.outOfScope()).toEqual({ share: 0.25, messages: 8 });
    now = 5 * 60_000;
    a.onResult(result('late', 'billing', { outOfScope: true }), { text: 't' });
    expect(a.outOfScope()).toEqual({ share: 1, messages: 1 });
  });
});
