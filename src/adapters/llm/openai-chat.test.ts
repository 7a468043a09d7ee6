import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IntentOpsError } from '../../core/errors.js';
import { LlmNotCalled, LlmTimeout, type LlmRequest } from '../../ports/llm.js';
import { startFakeLlm, type FakeLlm } from '../../app/dev/fake-llm-server.js';
import { createLlm, LlmAnswerError, openaiChatLlm, type LlmDeps } from './index.js';

const REQ: LlmRequest = {
  text: 'I was charged twice for my order, please refund the second payment',
  intents: [{ name: 'refund', description: 'wants money back' }, { name: 'billing' }, { name: 'delivery' }, { name: 'login' }],
  examples: [
    { text: 'please refund my payment', intent: 'refund' },
    { text: 'my parcel has not arrived', intent: 'delivery' },
  ],
  requestId: 'req-1',
};

let fake: FakeLlm;
let sleeps: number[];
/** Sleeps are recorded and skipped, so retry waits are measured exactly and tests stay fast. */
let deps: LlmDeps;

beforeEach(async () => {
  fake = await startFakeLlm();
  sleeps = [];
  deps = { sleep: async (ms) => void sleeps.push(ms), random: () => 0.5 };
});
afterEach(() => fake.close());

const make = (o: Record<string, unknown> = {}, d: LlmDeps = deps) => openaiChatLlm.create({ baseUrl: fake.baseUrl, model: 'gpt-4o-mini', ...o }, d);

async function failure(p: Promise<unknown>): Promise<IntentOpsError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(IntentOpsError);
  return e as IntentOpsError;
}

describe('openai-chat adapter against the fake server over HTTP', () => {
  it('answers with structured output: the request carries a JSON schema whose intent enum is the label set + none', async () => {
    const llm = await make({ apiKey: 'sk-test' });
    const a = await llm.classify(REQ);
    expect(a.intent).toBe('refund');
    expect(a.model).toBe('gpt-4o-mini');
    expect(a.usage.promptTokens).toBeGreaterThan(0);
    const req = fake.requests[0];
    expect(req.path).toBe('/v1/chat/completions');
    expect(req.headers.authorization).toBe('Bearer sk-test');
    const body = req.body as Record<string, any>;
    expect(body).toMatchObject({ model: 'gpt-4o-mini', temperature: 0, max_tokens: 64, user: 'req-1' });
    expect(body.messages.map((m: { role: string }) => m.role)).toEqual(['system', 'user']);
    expect(body.response_format.type).toBe('json_schema');
    expect(body.response_format.json_schema.strict).toBe(true);
    expect(body.response_format.json_schema.schema.properties.intent.enum).toEqual(['refund', 'billing', 'delivery', 'login', 'none']);
  });

  it('supports JSON mode and plain text (first JSON object in the text)', async () => {
    const jsonMode = await make({ responseFormat: 'json_object' });
    expect((await jsonMode.classify(REQ)).intent).toBe('refund');
    expect((fake.requests[0].body as Record<string, any>).response_format).toEqual({ type: 'json_object' });
    const plain = await make({ responseFormat: 'none' });
    expect((await plain.classify(REQ)).intent).toBe('refund'); // fake answers 'The intent is {"intent":"refund"}.'
    expect((fake.requests[1].body as Record<string, unknown>).response_format).toBeUndefined();
  });

  it('returns null when the model says none', async () => {
    fake.script({ intent: 'none' });
    expect((await (await make()).classify(REQ)).intent).toBeNull();
  });

  it('Azure: deployment URL with api-version and the api-key header; or a bearer Entra ID token', async () => {
    const llm = await openaiChatLlm.create({ apiKey: 'az-key', azure: { endpoint: fake.url, deployment: 'mini-prod', apiVersion: '2024-10-21' } }, deps);
    expect((await llm.classify(REQ)).intent).toBe('refund');
    const r = fake.requests[0];
    expect(r.path).toBe('/openai/deployments/mini-prod/chat/completions');
    expect(r.query).toEqual({ 'api-version': '2024-10-21' });
    expect(r.headers['api-key']).toBe('az-key');
    expect(r.headers.authorization).toBeUndefined();
    expect((r.body as Record<string, unknown>).model).toBeUndefined();
    const ad = await openaiChatLlm.create({ azure: { endpoint: fake.url, deployment: 'mini-prod', azureAdToken: 'entra-token' } }, deps);
    await ad.classify(REQ);
    expect(fake.requests[1].headers.authorization).toBe('Bearer entra-token');
    expect(fake.requests[1].headers['api-key']).toBeUndefined();
  });

  it('local servers (Ollama, vLLM) need no key: no auth header is sent', async () => {
    const llm = await openaiChatLlm.create({ baseUrl: `${fake.url}/v1/`, model: 'llama3.2' }, deps);
    const a = await llm.classify(REQ);
    expect(a).toMatchObject({ intent: 'refund', model: 'llama3.2', usage: { costUsd: 0 } });
    expect(fake.requests[0].headers.authorization).toBeUndefined();
  });

  it('retries 429 honouring Retry-After (seconds) and retry-after-ms', async () => {
    fake.script({ status: 429, retryAfter: '1', times: 2 }, { status: 429, retryAfterMs: 250 });
    const a = await (await make()).classify(REQ);
    expect(a.intent).toBe('refund');
    expect(fake.requests).toHaveLength(4);
    expect(sleeps).toEqual([1000, 1000, 250]);
  });

  it('retries 500 with full-jitter backoff, then succeeds', async () => {
    fake.script({ status: 500 }, { status: 503 });
    const a = await (await make({ retryBaseMs: 100 })).classify(REQ);
    expect(a.intent).toBe('refund');
    expect(sleeps).toEqual([50, 100]); // random 0.5 × 100·2^attempt
  });

  it('waits for real between attempts when sleep is not injected', async () => {
    fake.script({ status: 429, retryAfterMs: 120 });
    const t0 = performance.now();
    await (await make({}, {})).classify(REQ);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(110);
  });

  it('gives up after maxRetries, and at once when Retry-After exceeds maxRetryAfterMs', async () => {
    fake.script({ status: 500, times: 3 });
    const e = await failure((await make({ maxRetries: 2 })).classify(REQ));
    expect(e.code).toBe('unavailable');
    expect(e.message).toMatch(/after 3 attempt\(s\): HTTP 500/);
    fake.script({ status: 429, retryAfter: '120' });
    const e2 = await failure((await make()).classify(REQ));
    expect(e2.message).toMatch(/retry after 120000 ms/);
    expect(fake.requests).toHaveLength(4);
  });

  it('times out on a hanging server and fails', async () => {
    fake.script({ hang: true, times: 2 });
    const t0 = performance.now();
    const e = await failure((await make({ timeoutMs: 150, maxRetries: 1 })).classify(REQ));
    expect(e.code).toBe('unavailable');
    expect(e.message).toMatch(/no answer within 150 ms/);
    expect(fake.requests).toHaveLength(2);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('the deadline bounds the whole fallback: attempts are cut to what is left of it, and a retry that cannot start before it is not waited for', async () => {
    fake.script({ hang: true });
    const e = await failure((await make({ timeoutMs: 60_000, maxRetries: 3, deadlineMs: 200 }, {})).classify(REQ));
    expect(e).toBeInstanceOf(LlmTimeout);
    expect((e as LlmTimeout).called).toBe(true);
    // the attempt got what was left of the 200 ms once the request was prepared
    const m = /gave up after 1 attempt\(s\): no answer within (\d+) ms \(the rest of the deadline\)/.exec(e.message);
    expect(m, e.message).not.toBeNull();
    expect(Number(m![1])).toBeLessThanOrEqual(200);
    expect(fake.requests).toHaveLength(1);
    // 503s answered at once, then a backoff (real clock here) that would end past the deadline
    fake.script({ status: 503, times: 5 });
    const e2 = await failure((await make({ maxRetries: 5, deadlineMs: 300, retryBaseMs: 1_000, retryMaxMs: 1_000 }, { random: () => 0.9 })).classify(REQ));
    expect(e2).toBeInstanceOf(LlmTimeout);
    expect(e2.message).toMatch(/HTTP 503.*no time left for a retry before the deadline/);
    expect(fake.requests).toHaveLength(2);
  });

  it('a timeout opens the circuit like any failure; the refused calls are LlmNotCalled(circuit_open), and the state changes are reported once each', async () => {
    fake.script({ hang: true, times: 2 });
    const changes: string[] = [];
    const llm = await make({ maxRetries: 0, deadlineMs: 100, circuit: { failureThreshold: 2, cooldownMs: 60_000 } }, { onCircuit: (c) => changes.push(`${c.from}>${c.to}`) });
    for (let i = 0; i < 2; i++) expect(await failure(llm.classify(REQ))).toBeInstanceOf(LlmTimeout);
    const e = await failure(llm.classify(REQ));
    expect(e).toBeInstanceOf(LlmNotCalled);
    expect((e as LlmNotCalled).skipped).toBe('circuit_open');
    await failure(llm.classify(REQ));
    expect(changes).toEqual(['closed>open']);
    expect(llm.stats().circuit).toBe('open');
  });

  it('does not retry other 4xx; wrong keys are config errors and never echoed', async () => {
    await fake.close();
    fake = await startFakeLlm({ apiKey: 'right' });
    const e = await failure((await make({ apiKey: 'sk-wrong-secret' })).classify(REQ));
    expect(e.code).toBe('invalid_config');
    expect(e.message).not.toContain('sk-wrong-secret');
    expect(fake.requests).toHaveLength(1);
  });

  it('the caller can abort', async () => {
    fake.script({ hang: true });
    const ac = new AbortController();
    const p = (await make()).classify(REQ, ac.signal);
    setTimeout(() => ac.abort(), 50);
    expect((await failure(p)).message).toMatch(/aborted by the caller/);
  });
});

describe('answers that are not one known intent are failures', () => {
  it('malformed JSON → unavailable, with the usage that was paid for', async () => {
    fake.script({ content: '{"intent": "refund"', usage: { promptTokens: 1000, completionTokens: 10 } });
    const e = await failure((await make()).classify(REQ));
    expect(e).toBeInstanceOf(LlmAnswerError);
    expect(e.code).toBe('unavailable');
    expect(e.message).toMatch(/malformed JSON/);
    expect((e as LlmAnswerError).usage?.promptTokens).toBe(1000);
  });

  it('out-of-set label → unavailable, never the label', async () => {
    fake.script({ intent: 'cancel_subscription' });
    const e = await failure((await make()).classify(REQ));
    expect(e.message).toMatch(/the model answered a string of 19 chars, which is neither one of the 4 intents nor "none"/);
    // the answer is described, never quoted: it may echo an injected message into the logs
    expect(e.message).not.toContain('cancel_subscription');
  });

  it('answer failures do not open the circuit (a message must not switch the LLM off for everyone)', async () => {
    const llm = await make({ circuit: { failureThreshold: 2, cooldownMs: 1000 } });
    fake.script({ content: 'garbage', times: 3 });
    for (let i = 0; i < 3; i++) await failure(llm.classify(REQ));
    expect(llm.stats().circuit).toBe('closed');
    expect((await llm.classify(REQ)).intent).toBe('refund');
  });
});

describe('usage and cost', () => {
  it('prices usage from the built-in table (gpt-4o-mini 0.15/0.60 per 1M), also for dated snapshots', async () => {
    fake.script({ usage: { promptTokens: 1_000_000, completionTokens: 500_000 } });
    const a = await (await make({ model: 'gpt-4o-mini-2024-07-18' })).classify(REQ);
    expect(a.usage).toEqual({ promptTokens: 1_000_000, completionTokens: 500_000, costUsd: expect.closeTo(0.15 + 0.3, 10) });
  });

  it('config prices override and extend the table; unknown models cost 0', async () => {
    fake.script({ usage: { promptTokens: 2000, completionTokens: 100 } }, { usage: { promptTokens: 2000, completionTokens: 100 } });
    const priced = await make({ model: 'my-model', prices: { 'my-model': { inputPer1M: 1, outputPer1M: 10 } } });
    expect((await priced.classify(REQ)).usage.costUsd).toBeCloseTo(0.002 + 0.001, 10);
    expect((await (await make({ model: 'mystery' })).classify(REQ)).usage.costUsd).toBe(0);
  });
});

describe('circuit breaker and concurrency cap', () => {
  it('opens after N consecutive failures and fails fast; half-opens after the cool-down and recovers', async () => {
    let t = 0;
    const llm = await make({ maxRetries: 0, circuit: { failureThreshold: 3, cooldownMs: 5000 } }, { ...deps, now: () => t });
    fake.script({ status: 500, times: 3 });
    for (let i = 0; i < 3; i++) await failure(llm.classify(REQ));
    expect(llm.stats().circuit).toBe('open');
    const e = await failure(llm.classify(REQ));
    expect(e.code).toBe('unavailable');
    expect(e.message).toMatch(/^circuit open/);
    expect(fake.requests).toHaveLength(3); // failed fast: the server saw nothing
    t = 4999;
    await failure(llm.classify(REQ));
    t = 5000;
    expect(llm.stats().circuit).toBe('half-open');
    fake.script({ status: 500 }); // the probe fails: open again for a full cool-down
    await failure(llm.classify(REQ));
    expect(llm.stats().circuit).toBe('open');
    t = 10_000;
    expect((await llm.classify(REQ)).intent).toBe('refund');
    expect(llm.stats()).toMatchObject({ circuit: 'closed', consecutiveFailures: 0 });
    expect(fake.requests).toHaveLength(5);
  });

  it('a 400 (about this request, not the server) does not count towards opening', async () => {
    const llm = await make({ maxRetries: 0, circuit: { failureThreshold: 1, cooldownMs: 5000 } });
    fake.script({ status: 400 });
    expect((await failure(llm.classify(REQ))).code).toBe('invalid_input');
    expect(llm.stats().circuit).toBe('closed');
  });

  it('caps calls in flight (measured at the server) and queues the rest', async () => {
    await fake.close();
    fake = await startFakeLlm({ latencyMs: 60 });
    const llm = await make({ maxConcurrent: 2, maxQueue: 10 });
    const answers = await Promise.all(Array.from({ length: 7 }, (_, i) => llm.classify({ ...REQ, requestId: `r${i}` })));
    expect(answers.every((a) => a.intent === 'refund')).toBe(true);
    expect(fake.maxInFlight).toBe(2);
    // (FIFO order itself is checked in resilience.test.ts: arrival order over HTTP can race)
    expect(fake.requests.map((r) => (r.body as { user: string }).user).sort()).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6']);
  });

  it('a call waiting in the queue past the deadline leaves it with LlmTimeout (called: false) and is never sent', async () => {
    await fake.close();
    fake = await startFakeLlm({ latencyMs: 400 });
    const llm = await make({ maxConcurrent: 1, maxQueue: 5, deadlineMs: 150, timeoutMs: 5_000 });
    const first = llm.classify(REQ);
    const e = await failure(llm.classify(REQ));
    expect(e).toBeInstanceOf(LlmTimeout);
    expect((e as LlmTimeout).called).toBe(false);
    // its queue timer, or the first call's timeout freeing the slot just as the deadline came: never sent either way
    expect(e.message).toMatch(/no LLM call slot freed within the deadline|the deadline passed before the call could be sent/);
    expect(llm.stats().queued).toBe(0);
    // the first call itself overran its deadline at the server
    expect(await failure(first)).toBeInstanceOf(LlmTimeout);
    expect(fake.requests).toHaveLength(1);
  });

  it('a slot that frees with under a tenth of the deadline left is not used: LlmTimeout (called: false), nothing sent', async () => {
    await fake.close();
    // the first call answers after 900 of the 1,000 ms: the second, queued behind it, would have ~100 ms
    fake = await startFakeLlm({ latencyMs: 900 });
    const llm = await make({ maxConcurrent: 1, maxQueue: 5, deadlineMs: 1000, timeoutMs: 5_000 });
    const first = llm.classify(REQ);
    const e = await failure(llm.classify(REQ));
    expect(e).toBeInstanceOf(LlmTimeout);
    expect((e as LlmTimeout).called).toBe(false);
    // on a loaded machine the first call may overrun instead, and the second time out in the queue: never sent either way
    expect(e.message).toMatch(/ms of llm.deadlineMs 1000 left after the queue wait|no LLM call slot freed within the deadline/);
    await first.catch(() => undefined);
    expect(fake.requests).toHaveLength(1);
  });

  it('fails fast when the queue is full', async () => {
    await fake.close();
    fake = await startFakeLlm({ latencyMs: 100 });
    const llm = await make({ maxConcurrent: 1, maxQueue: 1 });
    const calls = [llm.classify(REQ), llm.classify(REQ), llm.classify(REQ)];
    const e = await failure(calls[2]);
    expect(e.message).toMatch(/LLM queue full: 1 calls in flight and 1 waiting/);
    expect((e as LlmNotCalled).skipped).toBe('queue_full');
    expect((await Promise.all(calls.slice(0, 2))).map((a) => a.intent)).toEqual(['refund', 'refund']);
    expect(fake.requests).toHaveLength(2);
  });
});

describe('configuration', () => {
  it('unknown backends and bad options fail with what is valid', async () => {
    await expect(createLlm('anthropic', {})).rejects.toThrow(/unknown LLM "anthropic"; valid: openai-chat/);
    await expect(createLlm('openai-chat', {})).rejects.toMatchObject({ code: 'invalid_config', where: 'llm.openai-chat.model' });
    await expect(createLlm('openai-chat', { model: 'gpt-4o-mini' })).rejects.toThrow(/'apiKey' is required for api.openai.com/);
    await expect(createLlm('openai-chat', { model: 'm', baseUrl: fake.baseUrl, responseFormat: 'xml' })).rejects.toMatchObject({ where: 'llm.openai-chat.responseFormat' });
    await expect(createLlm('openai-chat', { model: 'm', baseUrl: fake.baseUrl, promptFile: '/nope/x.md' })).rejects.toMatchObject({ code: 'not_found', where: '/nope/x.md' });
  });

  it('createLlm builds a working adapter', async () => {
    const llm = await createLlm('openai-chat', { model: 'gpt-4o-mini', baseUrl: fake.baseUrl });
    expect(llm.name).toBe('openai-chat');
    expect((await llm.classify(REQ)).intent).toBe('refund');
  });
});

describe('requestJson: the body as sent', () => {
  const frozen = Object.freeze(REQ.intents.map((i) => Object.freeze({ ...i })));

  it('is requestBody serialised, for a frozen intent list (framed once) with and without a request id, and for a plain one', async () => {
    const llm = await make();
    for (const req of [{ ...REQ, intents: frozen }, { ...REQ, intents: frozen, requestId: undefined }, { ...REQ, intents: frozen, text: 'a "quoted" <message> \\ and\nnewline', requestId: 'x'.repeat(80) }, REQ]) {
      expect(JSON.parse(llm.requestJson(req))).toEqual(llm.requestBody(req));
    }
    // the frame is reused: a second message of the same list differs only in its user turn
    const a = JSON.parse(llm.requestJson({ ...REQ, intents: frozen, text: 'first' }));
    const b = JSON.parse(llm.requestJson({ ...REQ, intents: frozen, text: 'second' }));
    expect(a.messages[0]).toEqual(b.messages[0]);
    expect(b.messages[1].content).toContain('second');
  });

  it('falls back to serialising the whole body when the system turn holds per-message placeholders', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const file = join(mkdtempSync(join(tmpdir(), 'intentops-prompt-')), 'custom-v1.md');
    writeFileSync(file, '<!-- system -->\nIntents:\n{{intents}}\nExamples:\n{{examples}}\n<!-- user -->\n{{message}}\n');
    const llm = await make({ promptFile: file });
    for (const text of ['one', 'two']) {
      const req = { ...REQ, intents: frozen, text, examples: [{ text: `example for ${text}`, intent: 'refund' }] };
      const body = JSON.parse(llm.requestJson(req));
      expect(body).toEqual(llm.requestBody(req));
      expect(body.messages[0].content).toContain(`example for ${text}`);
    }
  });
});
