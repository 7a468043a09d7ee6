import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlm, type FakeLlm } from '../dev/fake-llm-server.js';
import { classifyOne as classify, metric, testServing, type TestServing } from '../../../test/helpers/serving.js';

/** Messages the sample model is unsure of: they go to the LLM when one is configured. */
const UNSURE = ['hmm ok', 'well then', 'so anyway', 'ok ok ok', 'what now', 'thanks'];

function llmFlags(fake: FakeLlm, extra: Record<string, unknown> = {}) {
  return { llm: { provider: 'openai-chat', baseUrl: fake.baseUrl, model: 'gpt-4o-mini', maxRetries: 0, timeoutMs: 1000, ...extra } };
}

/** The review item a result was queued as: a message the novelty detector flagged keeps reason out_of_scope. */
async function itemOf(s: TestServing, r: { review?: { id: string } }) {
  expect(r.review?.id).toBeTruthy();
  const items = (await (await s.get('/v1/review?state=open&limit=500')).json()).items as { id: string; reason: string }[];
  return items.find((i) => i.id === r.review!.id)!;
}

function itemReason(r: { outOfScope: boolean; reason: string }): string {
  return r.outOfScope ? 'out_of_scope' : r.reason;
}

describe('LLM fallback through the fake LLM server', () => {
  let fake: FakeLlm;
  let s: TestServing;
  beforeAll(async () => {
    fake = await startFakeLlm();
    // review.outOfScopeSampleRate 0: an LLM `none` is never sampled for review here (the default 5 % made one test fail one run in 20)
    s = await testServing({ flags: { ...llmFlags(fake, { circuit: { failureThreshold: 100 } }), review: { uri: 'sqlite::memory:', outOfScopeSampleRate: 0 } } });
  });
  afterAll(async () => {
    await s.close();
    await fake.close();
  });

  it('answers an unsure message with the LLM: route llm, usage and cost in the response and in /metrics', async () => {
    fake.script({ intent: 'payment_issue', usage: { promptTokens: 1000, completionTokens: 10 } });
    const r = await classify(s, UNSURE[0]);
    expect(r).toMatchObject({ route: 'llm', reason: 'llm_answered', intent: 'payment_issue', cached: false, outOfScope: false });
    // the LLM chose the intent: no probability of the local model is passed off as its confidence
    expect(r.confidence).toBeNull();
    expect(r.local.intent).toBe(r.alternatives[0].intent);
    expect(r.local.confidence).toBe(r.alternatives[0].score);
    expect(r.llm).toMatchObject({ model: 'gpt-4o-mini', variant: 'classify-v1', promptTokens: 1000, completionTokens: 10 });
    expect(r.llm!.costUsd).toBeCloseTo((1000 * 0.15 + 10 * 0.6) / 1e6, 12);
    expect(r.timings.llmMs).toBeGreaterThan(0);
    expect(r.review).toBeUndefined();
    // the LLM saw the label set, the neighbours and the message
    const prompt = JSON.stringify(fake.requests.at(-1)!.body);
    expect(prompt).toContain('payment_issue');
    expect(prompt).toContain(UNSURE[0]);
    const m = await (await s.get('/metrics')).text();
    expect(metric(m, 'intentops_llm_calls_total{model="gpt-4o-mini",outcome="answered"}')).toBe(1);
    expect(metric(m, 'intentops_llm_tokens_total{model="gpt-4o-mini",kind="prompt"}')).toBe(1000);
    expect(metric(m, 'intentops_llm_tokens_total{model="gpt-4o-mini",kind="completion"}')).toBe(10);
    expect(metric(m, 'intentops_llm_cost_usd_total{model="gpt-4o-mini"}')).toBeCloseTo(0.000156, 12);
    expect(metric(m, 'intentops_classifications_total{route="llm",reason="llm_answered"}')).toBe(1);
  });

  it('serves a repeated message from the cache without calling (or billing) the LLM again', async () => {
    const calls = fake.requests.length;
    const r = await classify(s, `  ${UNSURE[0].toUpperCase()} `);
    expect(r).toMatchObject({ route: 'llm', intent: 'payment_issue', cached: true });
    expect(r.llm).toBeUndefined();
    expect(fake.requests.length).toBe(calls);
    const m = await (await s.get('/metrics')).text();
    expect(metric(m, 'intentops_llm_calls_total{model="gpt-4o-mini",outcome="answered"}')).toBe(1);
  });

  it('an LLM `none` is an out-of-scope answer: route llm, not queued for review (sample rate 0 here), counted', async () => {
    fake.script({ intent: 'none' });
    const r = await classify(s, UNSURE[1]);
    expect(r).toMatchObject({ route: 'llm', reason: 'out_of_scope', outOfScope: true, intent: 'none', confidence: null });
    expect(r.review).toBeUndefined();
    expect(r.llm?.model).toBe('gpt-4o-mini');
    const items = (await (await s.get('/v1/review?state=open&limit=100')).json()).items as { reason: string }[];
    expect(items.filter((i) => i.reason === 'out_of_scope')).toHaveLength(0);
    const m = await (await s.get('/metrics')).text();
    expect(metric(m, 'intentops_out_of_scope_total{source="llm"}')).toBe(1);
    expect(metric(m, 'intentops_llm_calls_total{model="gpt-4o-mini",outcome="none"}')).toBe(1);
    expect(metric(m, 'intentops_classifications_total{route="llm",reason="out_of_scope"}')).toBe(1);
  });

  it('an LLM error, an out-of-set label or bad JSON: review with the best guess, never a 500; unusable answers are still billed', async () => {
    const steps = [{ status: 500 }, { intent: 'hacked_label' }, { content: '{not json' }];
    for (const [i, step] of steps.entries()) {
      fake.script(step);
      const r = await classify(s, UNSURE[2 + i]);
      expect(r.route, JSON.stringify(step)).toBe('review');
      expect(r.reason).toBe('llm_failed');
      expect((await itemOf(s, r)).reason).toBe(itemReason(r));
      expect(r.intent).toBe(r.alternatives[0].intent);
      expect(r.confidence).toBe(r.alternatives[0].score);
      expect(r.llm).toBeUndefined();
    }
    const m = await (await s.get('/metrics')).text();
    // the 500 never produced an answer; the two unusable answers were billed by the model that gave them
    expect(metric(m, 'intentops_llm_calls_total{model="unknown",outcome="error"}')).toBe(1);
    expect(metric(m, 'intentops_llm_calls_total{model="gpt-4o-mini",outcome="error"}')).toBe(2);
    // one warning per kind of failure, not one per request: the 500 and the two bad answers
    expect(s.logs.filter((l) => l.msg === 'LLM fallback failed; message sent to review').length).toBeLessThanOrEqual(2);
  });

  it('reports the LLM fallback in /v1/models/current', async () => {
    expect((await (await s.get('/v1/models/current')).json()).llmFallback).toBe(true);
  });
});

describe('LLM deadline (llm.deadlineMs)', () => {
  let fake: FakeLlm;
  afterEach(async () => fake?.close());

  it('a hung LLM costs one deadline, not attempts × timeout: review with reason llm_timeout; timeouts open the circuit', async () => {
    fake = await startFakeLlm();
    // per attempt 60 s and 3 retries: without the deadline one message would wait 4 minutes. The
    // deadline leaves a loaded machine time to deliver the attempt to the fake (at 300 ms one of
    // the two never arrived there once, on Node 22 at load average 15)
    const s = await testServing({ flags: llmFlags(fake, { timeoutMs: 60_000, maxRetries: 3, deadlineMs: 2_000, circuit: { failureThreshold: 2, cooldownMs: 60_000 } }) });
    try {
      fake.script({ hang: true, times: 10 });
      for (const text of UNSURE.slice(0, 2)) {
        const t0 = Date.now();
        const r = await classify(s, text);
        expect(Date.now() - t0).toBeLessThan(30_000);
        expect(r).toMatchObject({ route: 'review', reason: 'llm_timeout' });
        expect((await itemOf(s, r)).reason).toBe(itemReason(r));
        expect(r.intent).toBe(r.alternatives[0].intent);
      }
      // one attempt each: the hung attempt used the whole deadline, no retry was started after it
      expect(fake.requests).toHaveLength(2);
      let m = await (await s.get('/metrics')).text();
      expect(metric(m, 'intentops_llm_calls_total{model="unknown",outcome="timeout"}')).toBe(2);
      expect(metric(m, 'intentops_llm_circuit_open')).toBe(1);
      // the circuit is open: the next messages are not sent, counted apart from the calls made
      for (const text of UNSURE.slice(2, 5)) expect(await classify(s, text)).toMatchObject({ route: 'review', reason: 'llm_failed' });
      expect(fake.requests).toHaveLength(2);
      m = await (await s.get('/metrics')).text();
      expect(metric(m, 'intentops_llm_skipped_total{reason="circuit_open"}')).toBe(3);
      expect(metric(m, 'intentops_llm_calls_total{model="unknown",outcome="timeout"}')).toBe(2);
      expect(metric(m, 'intentops_llm_calls_total{model="unknown",outcome="error"}')).toBe(0);
      // the log: the circuit change once, and one warning per kind (timeout, circuit open), not one per message
      expect(s.logs.filter((l) => l.msg === 'LLM circuit opened: unsure messages go to review without calling the LLM until a probe succeeds')).toHaveLength(1);
      expect(s.logs.filter((l) => l.msg === 'LLM fallback failed; message sent to review')).toHaveLength(2);
    } finally {
      await s.close();
    }
    // closing flushes the counts of the suppressed repeats as one line per kind
    const repeats = s.logs.filter((l) => typeof l.repeated === 'number');
    expect(repeats.map((l) => [l.kind, l.repeated]).sort()).toEqual([
      ['skipped:circuit_open', 2],
      ['timeout', 1],
    ]);
  });
});

describe('out-of-scope answers sampled for review (review.outOfScopeSampleRate)', () => {
  let fake: FakeLlm;
  afterEach(async () => fake?.close());

  it('at rate 1 every LLM `none` is also queued for review with reason out_of_scope; the answer stays route llm', async () => {
    fake = await startFakeLlm();
    const s = await testServing({ flags: { ...llmFlags(fake), review: { uri: 'sqlite::memory:', outOfScopeSampleRate: 1 } } });
    try {
      fake.script({ intent: 'none', times: 2 });
      for (const text of UNSURE.slice(0, 2)) {
        const r = await classify(s, text);
        expect(r).toMatchObject({ route: 'llm', reason: 'out_of_scope', outOfScope: true });
        expect(r.review?.id).toBeTruthy();
      }
      const items = (await (await s.get('/v1/review?state=open&limit=100')).json()).items as { reason: string }[];
      expect(items.map((i) => i.reason)).toEqual(['out_of_scope', 'out_of_scope']);
      const m = await (await s.get('/metrics')).text();
      expect(metric(m, 'intentops_out_of_scope_total{source="llm"}')).toBe(2);
      expect(metric(m, 'intentops_review_queued_total{reason="out_of_scope"}')).toBe(2);
    } finally {
      await s.close();
    }
  });
});

describe("the LLM's answers checked by people (review.llmCheckSampleRate)", () => {
  let fake: FakeLlm;
  afterEach(async () => fake?.close());

  it('at rate 1 every LLM answer is also queued as an llm_check item with the LLM intent as the guess; `none` answers are not, and the answer stays route llm', async () => {
    fake = await startFakeLlm();
    const s = await testServing({ flags: { ...llmFlags(fake), review: { uri: 'sqlite::memory:', outOfScopeSampleRate: 0, llmCheckSampleRate: 1 } } });
    try {
      fake.script({ intent: 'payment_issue', times: 2 });
      for (const text of UNSURE.slice(0, 2)) {
        const r = await classify(s, text);
        expect(r).toMatchObject({ route: 'llm', reason: 'llm_answered', intent: 'payment_issue', outOfScope: false });
        expect(r.review?.id).toBeTruthy();
      }
      fake.script({ intent: 'none' });
      expect((await classify(s, UNSURE[2])).review).toBeUndefined();
      const items = (await (await s.get('/v1/review?state=open&limit=100')).json()).items as { reason: string; guess: string; text: string; priority: { doubt: number; weight: number } }[];
      expect(items.map((i) => [i.reason, i.guess, i.text]).sort()).toEqual(UNSURE.slice(0, 2).map((t) => ['llm_check', 'payment_issue', t]).sort());
      // a check is worth its label whatever the model's confidence: fixed doubt, the lowest weight
      for (const i of items) expect(i.priority).toMatchObject({ doubt: 1, weight: 0.3 });
      const m = await (await s.get('/metrics')).text();
      expect(metric(m, 'intentops_review_queued_total{reason="llm_check"}')).toBe(2);
      expect(metric(m, 'intentops_llm_precision_checked')).toBe(0);
    } finally {
      await s.close();
    }
  });

  it('at rate 0 no LLM answer is queued', async () => {
    fake = await startFakeLlm();
    const s = await testServing({ flags: { ...llmFlags(fake), review: { uri: 'sqlite::memory:', llmCheckSampleRate: 0 } } });
    try {
      fake.script({ intent: 'payment_issue', times: 3 });
      for (const text of UNSURE.slice(0, 3)) expect((await classify(s, text)).review).toBeUndefined();
      expect((await (await s.get('/v1/review?state=open&limit=100')).json()).items).toEqual([]);
    } finally {
      await s.close();
    }
  });
});

describe('LLM circuit breaker', () => {
  let fake: FakeLlm;
  afterEach(async () => fake?.close());

  it('after repeated failures the circuit opens: messages go to review without calling the LLM', async () => {
    fake = await startFakeLlm();
    const s = await testServing({ flags: llmFlags(fake, { circuit: { failureThreshold: 2, cooldownMs: 60_000 } }) });
    try {
      fake.script({ status: 503, times: 10 });
      for (const text of UNSURE.slice(0, 2)) expect((await classify(s, text)).reason).toBe('llm_failed');
      const calls = fake.requests.length;
      const r = await classify(s, UNSURE[2]);
      expect(r).toMatchObject({ route: 'review', reason: 'llm_failed' });
      expect(r.review?.id).toBeTruthy();
      expect(fake.requests.length).toBe(calls);
      const m = await (await s.get('/metrics')).text();
      expect(metric(m, 'intentops_llm_circuit_open')).toBe(1);
      expect(metric(m, 'intentops_llm_skipped_total{reason="circuit_open"}')).toBe(1);
      expect(metric(m, 'intentops_llm_calls_total{model="unknown",outcome="error"}')).toBe(2);
    } finally {
      await s.close();
    }
  });
});
