import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIDENT, sampleModel, testServing, UNSURE, type TestServing } from '../../../test/helpers/serving.js';
import { loadConfig } from '../config.js';
import { openServing } from '../container/index.js';
import { createLogger } from './logger.js';
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

  it('at debug level: one line per request with request id and model version; no text and no key anywhere', async () => {
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

describe('request logs at the default level (info)', () => {
  async function atInfo(logging: Record<string, unknown>) {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const c = loadConfig({ env: {}, flags: { review: { uri: 'sqlite::memory:' }, events: { uri: 'sqlite::memory:' }, tracking: { uri: 'none' }, logging } });
    const serving = await openServing(c, { modelDir: await sampleModel(), log: createLogger({ level: c.logging.level, destination: sink }) });
    const post = (text: string) => Promise.resolve(serving.app.request('/v1/classify', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) }));
    const logs = () => lines.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    return { serving, post, logs };
  }

  it('no line per request by default: a traffic line with the counts per period instead; 5xx would still be logged', async () => {
    const { serving, post, logs } = await atInfo({ summarySeconds: 1 });
    try {
      for (let i = 0; i < 30; i++) expect((await post(`${CONFIDENT} ${i}`)).status).toBe(200);
      expect((await post('')).status).toBe(400);
      expect(logs().filter((l) => l.msg === 'request')).toHaveLength(0);
      // the period's counts arrive as one line (waited for, not slept for)
      await expect.poll(() => logs().find((l) => l.msg === 'traffic'), { timeout: 20_000, interval: 100 }).toBeTruthy();
      expect(logs().find((l) => l.msg === 'traffic')).toMatchObject({ requests: 31, '2xx': 30, '4xx': 1, '5xx': 0, level: 30 });
    } finally {
      await serving.close();
    }
  });

  it('logging.requestSampleRate: that share of requests is logged at info (1 = every request)', async () => {
    const { serving, post, logs } = await atInfo({ requestSampleRate: 1 });
    try {
      for (let i = 0; i < 5; i++) await post(`${CONFIDENT} ${i}`);
      const lines = logs().filter((l) => l.msg === 'request');
      expect(lines).toHaveLength(5);
      expect(lines.every((l) => l.level === 30 && l.route === '/v1/classify')).toBe(true);
    } finally {
      await serving.close();
    }
  });
});
