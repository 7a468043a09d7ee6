import { afterEach, describe, expect, it, vi } from 'vitest';
import { openaiChatLlm } from '../../adapters/llm/openai-chat.js';
import type { LlmRequest } from '../../ports/llm.js';
import { oracleAnswer, startFakeLlm, toyAnswer, type FakeLlm } from './fake-llm-server.js';

const INTENTS = [{ name: 'refund' }, { name: 'delivery' }, { name: 'login_problem' }, { name: 'billing' }, { name: 'cancel' }];
const EXAMPLES = [
  { text: 'my parcel did not arrive', intent: 'delivery' },
  { text: 'I want my money back', intent: 'refund' },
];

let fake: FakeLlm;
afterEach(() => fake?.close());

async function chat(path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any; headers: Headers }> {
  const res = await fetch(`${fake.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, json: await res.json(), headers: res.headers };
}

const plain = (text: string, extra: Record<string, unknown> = {}) => ({ model: 'm', messages: [{ role: 'user', content: text }], ...extra });

describe('fake LLM server: wire format', () => {
  it('answers the chat-completions format with usage ≈ characters / 4', async () => {
    fake = await startFakeLlm();
    const schema = { type: 'json_schema', json_schema: { schema: { properties: { intent: { enum: ['refund', 'delivery', 'none'] } } } } };
    const r = await chat('/v1/chat/completions', plain('where is my delivery', { response_format: schema }));
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ object: 'chat.completion', model: 'm', choices: [{ message: { role: 'assistant', content: '{"intent":"delivery"}' }, finish_reason: 'stop' }] });
    expect(r.json.usage).toEqual({ prompt_tokens: 5, completion_tokens: 6, total_tokens: 11 });
    // a prompt not rendered by IntentOps and no schema: nothing to match, plain-text answer
    const free = await chat('/v1/chat/completions', plain('hello'));
    expect(free.json.choices[0].message.content).toBe('The intent is {"intent":"none"}.');
    expect(fake.requests.map((q) => q.path)).toEqual(['/v1/chat/completions', '/v1/chat/completions']);
  });

  it('serves the Azure route (api-version required) and checks keys when given one', async () => {
    fake = await startFakeLlm({ apiKey: 'k', model: 'gpt-4o-mini' });
    const az = '/openai/deployments/dep1/chat/completions';
    expect((await chat(az, plain('x'), { 'api-key': 'k' })).status).toBe(400);
    const ok = await chat(`${az}?api-version=2024-10-21`, { messages: [{ role: 'user', content: 'x' }] }, { 'api-key': 'k' });
    expect(ok.status).toBe(200);
    expect(ok.json.model).toBe('gpt-4o-mini');
    expect((await chat('/v1/chat/completions', plain('x'))).status).toBe(401);
    expect((await chat('/v1/chat/completions', plain('x'), { authorization: 'Bearer k' })).status).toBe(200);
    expect((await chat('/v1/nothing', plain('x'), { authorization: 'Bearer k' })).status).toBe(404);
    expect((await chat('/v1/chat/completions', { model: 'm' }, { authorization: 'Bearer k' })).status).toBe(400);
    const models = await (await fetch(`${fake.url}/v1/models`)).json();
    expect(models.data[0].id).toBe('gpt-4o-mini');
  });

  it('listens on a given port', async () => {
    const probe = await startFakeLlm();
    const port = probe.port;
    await probe.close();
    fake = await startFakeLlm({ port });
    expect(fake.url).toBe(`http://127.0.0.1:${port}`);
    await expect(startFakeLlm({ port })).rejects.toThrow(/EADDRINUSE/);
  });
});

describe('fake LLM server: scripts', () => {
  it('plays steps in order: 429 with Retry-After, 500, raw content, a label, usage, then the default', async () => {
    fake = await startFakeLlm();
    fake.script(
      { status: 429, retryAfter: '2', retryAfterMs: 1500, times: 2 },
      { status: 500 },
      { content: '{"intent": "refu' },
      { intent: 'not_a_label', usage: { promptTokens: 7, completionTokens: 3 } },
    );
    const r1 = await chat('/v1/chat/completions', plain('x'));
    expect([r1.status, r1.headers.get('retry-after'), r1.headers.get('retry-after-ms')]).toEqual([429, '2', '1500']);
    expect((await chat('/v1/chat/completions', plain('x'))).status).toBe(429);
    expect((await chat('/v1/chat/completions', plain('x'))).status).toBe(500);
    expect((await chat('/v1/chat/completions', plain('x'))).json.choices[0].message.content).toBe('{"intent": "refu');
    const labelled = await chat('/v1/chat/completions', plain('x', { response_format: { type: 'json_object' } }));
    expect(labelled.json.choices[0].message.content).toBe('{"intent":"not_a_label"}');
    expect(labelled.json.usage).toMatchObject({ prompt_tokens: 7, completion_tokens: 3 });
    expect((await chat('/v1/chat/completions', plain('x'))).status).toBe(200);
  });

  it('adds latency, counts requests in flight, and hangs until closed', async () => {
    fake = await startFakeLlm({ latencyMs: 80 });
    const t0 = performance.now();
    await Promise.all([1, 2, 3].map(() => chat('/v1/chat/completions', plain('x'))));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(75);
    expect(fake.maxInFlight).toBe(3);
    expect(fake.inFlight).toBe(0);
    fake.script({ hang: true });
    const hung = fetch(`${fake.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify(plain('x')) }).then(
      () => 'answered',
      () => 'dropped',
    );
    // the request reaches the server in a few ms on a quiet machine; a loaded one may take longer
    await vi.waitFor(() => expect(fake.inFlight).toBe(1), { timeout: 10_000, interval: 10 });
    await fake.close();
    expect(await hung).toBe('dropped');
  });
});

describe('fake LLM server: reading the real adapter prompt', () => {
  it('the toy answer shares the most words with the intent name and its examples', async () => {
    fake = await startFakeLlm();
    const llm = await openaiChatLlm.create({ baseUrl: fake.baseUrl, model: 'fake' });
    const req = (text: string): LlmRequest => ({ text, intents: INTENTS, examples: EXAMPLES });
    expect((await llm.classify(req('The parcel still did not arrive'))).intent).toBe('delivery');
    expect((await llm.classify(req('I have a login problem'))).intent).toBe('login_problem');
    expect((await llm.classify(req('Lovely weather'))).intent).toBeNull();
    expect(toyAnswer({ message: 'cancel cancel', intents: INTENTS, examples: [] })).toBe('cancel');
  });
});

describe('fake LLM server: oracle mode', () => {
  const N = 1000;
  const truth = new Map<string, string>();
  for (let i = 0; i < N; i++) truth.set(`ticket ${i}: customer message number ${i}`, INTENTS[i % INTENTS.length].name);
  const req = (text: string): LlmRequest => ({ text, intents: INTENTS, examples: [...EXAMPLES, { text: 'charged twice', intent: 'billing' }] });

  it('over 1,000 texts, answers the truth at the set accuracy (±3 %), the same way every time', async () => {
    fake = await startFakeLlm({ oracle: { labels: truth, accuracy: 0.9, seed: 7 } });
    const llm = await openaiChatLlm.create({ baseUrl: fake.baseUrl, model: 'gpt-4o-mini', maxConcurrent: 16, maxQueue: N, deadlineMs: 120_000 }); // 1,000 queued calls: the default 5 s deadline counts the queue wait
    const texts = [...truth.keys()];
    const answers = await Promise.all(texts.map((t) => llm.classify(req(t))));
    const correct = answers.filter((a, i) => a.intent === truth.get(texts[i])).length / N;
    expect(Math.abs(correct - 0.9)).toBeLessThanOrEqual(0.03);
    // wrong answers are plausible: a neighbour's label, never none
    expect(answers.every((a) => a.intent !== null)).toBe(true);
    expect(answers.every((a) => a.usage.promptTokens > 100 && a.usage.costUsd > 0)).toBe(true);
    const again = await Promise.all(texts.slice(0, 200).map((t) => llm.classify(req(t))));
    expect(again.map((a) => a.intent)).toEqual(answers.slice(0, 200).map((a) => a.intent));
  });

  it('the seed changes which texts are wrong; unknown texts get the toy answer', () => {
    const p = (message: string) => ({ message, intents: INTENTS, examples: EXAMPLES });
    const texts = [...truth.keys()].slice(0, 300);
    const wrong = (seed: number) => texts.filter((t) => oracleAnswer(p(t), { labels: truth, accuracy: 0.8, seed }) !== truth.get(t));
    expect(wrong(1)).not.toEqual(wrong(2));
    expect(oracleAnswer(p('never seen'), { labels: truth, accuracy: 1 })).toBeUndefined();
    expect(oracleAnswer(p(texts[0]), { labels: Object.fromEntries(truth), accuracy: 1 })).toBe(truth.get(texts[0]));
    expect(oracleAnswer(p(texts[0]), { labels: truth, accuracy: 0 })).toBe(truth.get(texts[0]) === 'delivery' ? 'refund' : 'delivery');
  });
});

describe('fake LLM server: cluster naming (intent discovery)', () => {
  it('answers a naming prompt with the words most messages share, the same every time; a scripted name verbatim', async () => {
    const { renderNamingPrompt } = await import('../../adapters/llm/naming-prompt.js');
    const { fakeClusterName } = await import('./fake-llm-server.js');
    fake = await startFakeLlm();
    const req = { representatives: ['Where are my loyalty points?', 'loyalty points missing', 'redeem points for a voucher'], terms: ['loyalty'], existingIntents: ['refund'] };
    const { system, user } = renderNamingPrompt(req);
    const body = { model: 'm', messages: [{ role: 'system', content: system }, { role: 'user', content: user }], response_format: { type: 'json_object' } };
    const names = await Promise.all([1, 2].map(async () => JSON.parse((await chat('/v1/chat/completions', body)).json.choices[0].message.content)));
    expect(names).toEqual([{ name: 'loyalty_points' }, { name: 'loyalty_points' }]);
    expect(fakeClusterName(req)).toBe('loyalty_points');
    expect(fakeClusterName({ ...req, representatives: ['alpha', 'beta'] })).toBe('unnamed_cluster');
    fake.script({ name: 'Refund!' });
    expect((await chat('/v1/chat/completions', body)).json.choices[0].message.content).toBe('{"name":"Refund!"}');
  });
});
