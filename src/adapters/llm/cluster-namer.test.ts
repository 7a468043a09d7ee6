import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fakeClusterName, startFakeLlm, type FakeLlm } from '../../app/dev/fake-llm-server.js';
import { LlmAnswerError, LlmNotCalled, LlmTimeout } from '../../ports/llm.js';
import { openaiClusterNamer } from './cluster-namer.js';
import { openaiChatLlm } from './openai-chat.js';
import { ProviderBackoff } from './provider-backoff.js';

const REQ = { representatives: ['I lost my card yesterday', 'my card is lost', 'lost card, please block it'], terms: ['lost', 'card'], existingIntents: ['balance', 'top_up'], requestId: 'c-0123456789' };
const SHORT = { maxRetries: 1, retryBaseMs: 1, retryMaxMs: 5, timeoutMs: 2_000 };

describe('OpenAiClusterNamer (fake LLM server)', () => {
  let fake: FakeLlm;
  beforeAll(async () => {
    fake = await startFakeLlm();
  });
  afterAll(() => fake.close());
  beforeEach(() => {
    fake.requests.length = 0;
  });

  it('asks with its own prompt and a small answer budget, and returns the name with model, usage and cost', async () => {
    const namer = await openaiClusterNamer.create({ baseUrl: fake.baseUrl, model: 'gpt-4o-mini', ...SHORT }, {}, { backoff: new ProviderBackoff() });
    fake.script({ usage: { promptTokens: 1000, completionTokens: 10 } });
    const a = await namer.nameCluster(REQ);
    expect(a.name).toBe(fakeClusterName(REQ));
    expect(a.name).toBe('card_lost');
    expect(a.model).toBe('gpt-4o-mini');
    expect(a.usage).toEqual({ promptTokens: 1000, completionTokens: 10, costUsd: (1000 * 0.15 + 10 * 0.6) / 1e6 });
    const body = fake.requests[0].body as { max_tokens: number; user: string; response_format: { json_schema: { name: string } }; messages: { content: string }[] };
    expect(body.max_tokens).toBe(32);
    expect(body.user).toBe('c-0123456789');
    expect(body.response_format.json_schema.name).toBe('intent_name');
    expect(body.messages[0].content).toMatch(/^# name-cluster-v1/);
    // the prompt file of the classifier is not the naming prompt
    await expect(openaiClusterNamer.create({ baseUrl: fake.baseUrl, model: 'gpt-4o-mini', promptFile: '/nonexistent.md' })).resolves.toBeDefined();
  });

  it('an unusable answer is an error carrying the paid usage, and does not open the circuit', async () => {
    const namer = await openaiClusterNamer.create({ baseUrl: fake.baseUrl, model: 'gpt-4o-mini', ...SHORT, circuit: { failureThreshold: 2, cooldownMs: 60_000 } }, {}, { backoff: new ProviderBackoff() });
    fake.script({ content: 'card stuff', times: 3 });
    for (let i = 0; i < 3; i++) {
      const e = await namer.nameCluster(REQ).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(LlmAnswerError);
      expect((e as LlmAnswerError).usage!.costUsd).toBeGreaterThan(0);
    }
    expect(namer.circuit).toBe('closed');
  });

  it('stops at its own deadline when the server hangs', async () => {
    const namer = await openaiClusterNamer.create({ baseUrl: fake.baseUrl, model: 'm', ...SHORT, maxRetries: 0 }, { deadlineMs: 200 }, { backoff: new ProviderBackoff() });
    fake.script({ hang: true });
    const e = await namer.nameCluster(REQ).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LlmTimeout);
  });

  it('its circuit opens after failures in a row: then nothing is sent, and the fallback client is not affected', async () => {
    const backoff = new ProviderBackoff();
    const namer = await openaiClusterNamer.create({ baseUrl: fake.baseUrl, model: 'm', ...SHORT, maxRetries: 0, circuit: { failureThreshold: 2, cooldownMs: 60_000 } }, {}, { backoff });
    const llm = await openaiChatLlm.create({ baseUrl: fake.baseUrl, model: 'm', ...SHORT, maxRetries: 0 }, { backoff });
    fake.script({ status: 500, times: 2 });
    for (let i = 0; i < 2; i++) await expect(namer.nameCluster(REQ)).rejects.toThrow(/HTTP 500/);
    const sent = fake.requests.length;
    const e = await namer.nameCluster(REQ).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LlmNotCalled);
    expect((e as LlmNotCalled).skipped).toBe('circuit_open');
    expect(fake.requests.length).toBe(sent);
    fake.script({ intent: 'billing' });
    expect((await llm.classify({ text: 'charged twice', intents: [{ name: 'billing' }, { name: 'refund' }], examples: [] })).intent).toBe('billing');
  });

  it('waits with the other clients of the provider when it asked them to slow down (shared back-off)', async () => {
    const backoff = new ProviderBackoff();
    const llm = await openaiChatLlm.create({ baseUrl: fake.baseUrl, model: 'm', ...SHORT, maxRetries: 0 }, { backoff });
    const namer = await openaiClusterNamer.create({ baseUrl: fake.baseUrl, model: 'm', ...SHORT }, { deadlineMs: 500 }, { backoff });
    // the provider tells the fallback client to wait 20 s: the namer, whose deadline is shorter, gives up without calling
    fake.script({ status: 429, retryAfter: '20' });
    await expect(llm.classify({ text: 'x', intents: [{ name: 'a' }], examples: [] })).rejects.toThrow();
    const sent = fake.requests.length;
    const e = await namer.nameCluster(REQ).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LlmTimeout);
    expect((e as Error).message).toMatch(/the provider asked to slow down/);
    expect(fake.requests.length).toBe(sent);
  });

  it('keeps at most maxConcurrent naming calls in flight', async () => {
    const slow = await startFakeLlm({ latencyMs: 60 });
    try {
      const namer = await openaiClusterNamer.create({ baseUrl: slow.baseUrl, model: 'm', ...SHORT }, { maxConcurrent: 2 }, { backoff: new ProviderBackoff() });
      const names = await Promise.all(Array.from({ length: 6 }, () => namer.nameCluster(REQ)));
      expect(names.map((n) => n.name)).toEqual(Array(6).fill('card_lost'));
      expect(slow.maxInFlight).toBe(2);
    } finally {
      await slow.close();
    }
  });

  it('refuses bad options and an empty cluster clearly', async () => {
    await expect(openaiClusterNamer.create({ baseUrl: fake.baseUrl, model: 'm' }, { deadlineMs: 0 })).rejects.toMatchObject({ code: 'invalid_config', where: 'llm.naming.deadlineMs', message: expect.stringMatching(/>=1/) });
    await expect(openaiClusterNamer.create({ baseUrl: fake.baseUrl })).rejects.toThrow(/'model' is required/);
    const namer = await openaiClusterNamer.create({ baseUrl: fake.baseUrl, model: 'm' });
    await expect(namer.nameCluster({ ...REQ, representatives: [] })).rejects.toThrow(/at least one message/);
  });
});
