import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlm, type FakeLlm } from '../dev/fake-llm-server.js';
import { metric, testServing, type TestServing } from '../../../test/helpers/serving.js';
import { ClassifyResultSchema } from './schemas.js';

/** Messages the sample model is unsure of: they go to the LLM when one is configured. */
const UNSURE = ['hmm ok', 'well then', 'so anyway', 'ok ok ok', 'what now', 'thanks'];

function llmFlags(fake: FakeLlm, extra: Record<string, unknown> = {}) {
  return { llm: { provider: 'openai-chat', baseUrl: fake.baseUrl, model: 'gpt-4o-mini', maxRetries: 0, timeoutMs: 1000, ...extra } };
}

async function classify(s: TestServing, text: string) {
  const res = await s.post('/v1/classify', { text });
  expect(res.status).toBe(200);
  return ClassifyResultSchema.parse(await res.json());
}

describe('LLM fallback through the fake LLM server', () => {
  let fake: FakeLlm;
  let s: TestServing;
  beforeAll(async () => {
    fake = await startFakeLlm();
    s = await testServing({ flags: llmFlags(fake, { circuit: { failureThreshold: 100 } }) });
  });
  afterAll(async () => {
    await s.close();
    await fake.close();
  });

  it('answers an unsure message with the LLM: route llm, usage and cost in the response and in /metrics', async () => {
    fake.script({ intent: 'payment_issue', usage: { promptTokens: 1000, completionTokens: 10 } });
    const r = await classify(s, UNSURE[0]);
    expect(r).toMatchObject({ route: 'llm', reason: 'llm_answered', intent: 'payment_issue', cached: false });
    expect(r.llm).toMatchObject({ model: 'gpt-4o-mini', promptTokens: 1000, completionTokens: 10 });
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

  it('queues the message for review when the LLM says none', async () => {
    fake.script({ intent: 'none' });
    const r = await classify(s, UNSURE[1]);
    expect(r).toMatchObject({ route: 'review', reason: 'llm_none' });
    expect(r.review?.id).toBeTruthy();
    expect(r.llm?.model).toBe('gpt-4o-mini');
  });

  it('an LLM error, a hang past the timeout, or an out-of-set label: review with the best guess, never a 500', async () => {
    const steps = [{ status: 500 }, { hang: true }, { intent: 'hacked_label' }, { content: '{not json' }];
    for (const [i, step] of steps.entries()) {
      fake.script(step);
      const r = await classify(s, UNSURE[2 + i]);
      expect(r.route, JSON.stringify(step)).toBe('review');
      expect(r.reason).toBe('llm_failed');
      expect(r.review?.id).toBeTruthy();
      expect(r.intent).toBe(r.alternatives[0].intent);
      expect(r.llm).toBeUndefined();
    }
    const items = (await (await s.get('/v1/review?state=open&limit=100')).json()).items as { reason: string; guess: string }[];
    expect(items.filter((i) => i.reason === 'llm_failed')).toHaveLength(steps.length);
    const m = await (await s.get('/metrics')).text();
    expect(metric(m, 'intentops_llm_calls_total{model="unknown",outcome="error"}')).toBe(steps.length);
    expect(s.logs.filter((l) => l.msg === 'LLM fallback failed; message sent to review')).toHaveLength(steps.length);
  });

  it('reports the LLM fallback in /v1/models/current', async () => {
    expect((await (await s.get('/v1/models/current')).json()).llmFallback).toBe(true);
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
    } finally {
      await s.close();
    }
  });
});
