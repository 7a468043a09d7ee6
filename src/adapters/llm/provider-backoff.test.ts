import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeLlm, type FakeLlm } from '../../app/dev/fake-llm-server.js';
import { LlmTimeout, type LlmRequest } from '../../ports/llm.js';
import { openaiChatLlm } from './openai-chat.js';
import { ProviderBackoff } from './provider-backoff.js';

const REQ: LlmRequest = { text: 'I was charged twice', intents: [{ name: 'billing' }, { name: 'refund' }], examples: [] };

describe('ProviderBackoff', () => {
  it('holds a provider until the time asked, capped at maxHoldMs; the latest answer wins', () => {
    const b = new ProviderBackoff(1000);
    b.hold('p', 500, 0);
    expect(b.waitMs('p', 100)).toBe(400);
    expect(b.waitMs('q', 100)).toBe(0);
    b.hold('p', 60_000, 100); // capped
    expect(b.waitMs('p', 100)).toBe(1000);
    b.hold('p', 300, 200); // a newer, shorter Retry-After replaces it
    expect(b.waitMs('p', 200)).toBe(100);
    expect(b.waitMs('p', 300)).toBe(0);
    expect(b.stats(300)).toEqual({ held: 0, holds: 3 });
  });

  it('remembers at most maxProviders providers (expired ones go first, then the oldest)', () => {
    const b = new ProviderBackoff(10_000, 3);
    b.hold('a', 10, 0);
    b.hold('b', 5000, 0);
    b.hold('c', 5000, 0);
    b.hold('d', 5000, 20); // 'a' expired: dropped
    expect(['a', 'b', 'c', 'd'].map((p) => b.waitMs(p, 20) > 0)).toEqual([false, true, true, true]);
    b.hold('e', 5000, 20); // full of live holds: the oldest ('b') goes
    expect(['b', 'c', 'd', 'e'].map((p) => b.waitMs(p, 20) > 0)).toEqual([false, true, true, true]);
  });
});

describe('one back-off per provider, shared by every variant calling it (fake LLM server)', () => {
  let fake: FakeLlm;
  let other: FakeLlm;
  let backoff: ProviderBackoff;
  beforeAll(async () => {
    fake = await startFakeLlm({ models: { 'model-a': {}, 'model-b': {} } });
    other = await startFakeLlm();
  });
  afterAll(async () => {
    await fake.close();
    await other.close();
  });
  beforeEach(() => {
    fake.requests.length = 0;
    other.requests.length = 0;
    backoff = new ProviderBackoff();
  });
  const client = (model: string, o: Record<string, unknown> = {}, base = fake.baseUrl) => openaiChatLlm.create({ baseUrl: base, model, maxRetries: 2, deadlineMs: 5000, ...o }, { backoff });
  const firstRequest = async (f: FakeLlm) => {
    while (f.requests.length === 0) await new Promise((r) => setTimeout(r, 2));
  };

  it('a 429 with Retry-After to one variant holds the other variant of the same provider: it waits without being refused itself', async () => {
    fake.script({ status: 429, retryAfterMs: 400 });
    const [a, b] = [await client('model-a'), await client('model-b')];
    const pa = a.classify(REQ);
    await firstRequest(fake);
    await new Promise((r) => setTimeout(r, 20)); // the 429 has been answered
    const t0 = performance.now();
    const answer = await b.classify(REQ);
    const waited = performance.now() - t0;
    expect(answer.model).toBe('model-b');
    expect((await pa).model).toBe('model-a');
    expect(waited).toBeGreaterThanOrEqual(300);
    // three requests in all: model-a's 429 and its retry, and model-b's one (never refused)
    expect(fake.requests.map((q) => (q.body as { model: string }).model).sort()).toEqual(['model-a', 'model-a', 'model-b']);
    expect(backoff.stats().holds).toBe(1);
  });

  it('a 503 without Retry-After holds the provider for the back-off step (retryBaseMs, jittered)', async () => {
    fake.script({ status: 503 });
    const opts = { retryBaseMs: 300, retryMaxMs: 300 };
    const a = await openaiChatLlm.create({ baseUrl: fake.baseUrl, model: 'model-a', maxRetries: 2, deadlineMs: 5000, ...opts }, { backoff, random: () => 1 });
    const b = await client('model-b', opts);
    const pa = a.classify(REQ);
    await firstRequest(fake);
    await new Promise((r) => setTimeout(r, 20));
    const t0 = performance.now();
    await b.classify(REQ);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(200);
    await pa;
  });

  it('a hold past the caller\'s deadline fails at once with LlmTimeout (nothing sent); another provider is not held', async () => {
    fake.script({ status: 429, retryAfterMs: 2000 });
    const a = await client('model-a', { maxRetries: 0 });
    await expect(a.classify(REQ)).rejects.toThrow(/HTTP 429/);
    const b = await client('model-b', { deadlineMs: 300 });
    const t0 = performance.now();
    const err = await b.classify(REQ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmTimeout);
    expect((err as LlmTimeout).called).toBe(false);
    expect((err as Error).message).toMatch(/slow down/);
    expect(performance.now() - t0).toBeLessThan(250);
    expect(fake.requests).toHaveLength(1);
    // a client of another server is not held
    const c = await client('model-a', {}, other.baseUrl);
    expect((await c.classify(REQ)).model).toBe('model-a');
  });
});
