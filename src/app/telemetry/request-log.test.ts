import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIDENT, testServing, UNSURE, type TestServing } from '../../../test/helpers/serving.js';
import { startFakeLlm, type FakeLlm } from '../dev/fake-llm-server.js';
import { hashKey } from '../http/auth.js';

/*
 * What a classify request leaves in the JSON log, with every secret the stack holds configured
 * (a client API key, the LLM API key) and every path taken (accepted, LLM answer, LLM failure →
 * review): one request line with request id and model version, and never a text or a key unless
 * logging.texts is on — then the texts, still no key.
 */

const CLIENT_KEY = 'sk-client-key-5f0d1c';
const LLM_KEY = 'sk-llm-key-9a7b3e';
const TEXTS = { confident: `${CONFIDENT} 7731`, llm: `${UNSURE} 8842`, failed: 'well then 9953', batch: 'so anyway 1064' };

async function serving(fake: FakeLlm, texts: boolean): Promise<TestServing> {
  return testServing({
    flags: {
      server: { apiKeys: [{ name: 'ops', sha256: hashKey(CLIENT_KEY) }] },
      llm: { provider: 'openai-chat', baseUrl: fake.baseUrl, model: 'gpt-4o-mini', apiKey: LLM_KEY, maxRetries: 0, timeoutMs: 2000 },
      logging: { texts },
    },
  });
}

async function exercise(s: TestServing, fake: FakeLlm): Promise<void> {
  const auth = { authorization: `Bearer ${CLIENT_KEY}` };
  expect((await s.post('/v1/classify', { text: TEXTS.confident }, { ...auth, 'x-request-id': 'log-confident' })).status).toBe(200);
  fake.script({ intent: 'payment_issue' });
  expect(await (await s.post('/v1/classify', { text: TEXTS.llm }, { ...auth, 'x-request-id': 'log-llm' })).json()).toMatchObject({ route: 'llm' });
  fake.script({ status: 500 });
  expect(await (await s.post('/v1/classify', { text: TEXTS.failed }, { ...auth, 'x-request-id': 'log-failed' })).json()).toMatchObject({ route: 'review', reason: 'llm_failed' });
  fake.script({ intent: 'payment_issue' });
  expect((await s.post('/v1/classify/batch', { items: [{ text: TEXTS.batch }] }, { ...auth, 'x-request-id': 'log-batch' })).status).toBe(200);
  // the LLM really was sent the texts: their absence from the log below is not an accident
  expect(JSON.stringify(fake.requests.map((r) => r.body))).toContain(TEXTS.llm);
}

describe('request logs', () => {
  let fake: FakeLlm;
  beforeAll(async () => {
    fake = await startFakeLlm();
  });
  afterAll(async () => fake?.close());

  it('by default: one line per request with request id and model version; no text and no key anywhere', async () => {
    const s = await serving(fake, false);
    try {
      await exercise(s, fake);
      const version = s.model().manifest.classifier.weights.sha256.slice(0, 12);
      for (const id of ['log-confident', 'log-llm', 'log-failed', 'log-batch']) {
        const line = s.logs.find((l) => l.requestId === id && l.msg === 'request');
        expect(line, id).toMatchObject({ model: version, principal: 'ops', status: 200, service: 'intentops' });
      }
      expect(s.logs.some((l) => l.msg === 'LLM fallback failed; message sent to review')).toBe(true);
      const log = s.logText();
      for (const text of Object.values(TEXTS)) expect(log).not.toContain(text);
      for (const secret of [CLIENT_KEY, LLM_KEY, hashKey(CLIENT_KEY)]) expect(log).not.toContain(secret);
    } finally {
      await s.close();
    }
  });

  it('with logging.texts: true the texts are logged (single and batch), the keys still never', async () => {
    const s = await serving(fake, true);
    try {
      await exercise(s, fake);
      expect(s.logs.find((l) => l.requestId === 'log-confident' && l.msg === 'classify text')).toMatchObject({ text: TEXTS.confident });
      expect(s.logs.find((l) => l.requestId === 'log-batch' && l.msg === 'classify texts')).toMatchObject({ texts: [TEXTS.batch] });
      const log = s.logText();
      for (const text of Object.values(TEXTS)) expect(log).toContain(text);
      for (const secret of [CLIENT_KEY, LLM_KEY, hashKey(CLIENT_KEY)]) expect(log).not.toContain(secret);
    } finally {
      await s.close();
    }
  });
});
