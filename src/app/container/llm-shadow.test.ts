import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testServing, type TestServing } from '../../../test/helpers/serving.js';
import { loadConfig } from '../config.js';
import { startFakeLlm, type FakeLlm } from '../dev/fake-llm-server.js';
import { ClassifyResultSchema } from '../http/schemas.js';
import type { LlmStatus } from '../services/llm-status.js';
import { registerVariant } from '../services/llm-registry.js';
import { setAlias } from '../services/registry.js';
import { loadVariant, openLlmRegistry, SHADOW_ALIAS } from './index.js';

/*
 * Issue #17 end to end through the real serving stack: the LLM variant registry's champion answers
 * (every answer names it), its challenger shadows it once shadow mode is turned on in the
 * registry, and the comparison — agreement, cost, latency per variant — is shown live and from
 * the prediction log. Two models of the fake LLM server: one always right, one always wrong.
 */

/** Messages the sample model is unsure of: they go to the LLM. */
const UNSURE = ['hmm ok', 'well then', 'so anyway', 'ok ok ok', 'what now', 'thanks'];
const PROMPT = resolve('prompts/classify-v1.md');

function variantFile(dir: string, name: string, model: string, baseUrl: string, price: number): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, `provider: openai-compatible\nmodel: ${model}\nbaseUrl: ${baseUrl}\nprice: { inputPer1M: ${price}, outputPer1M: ${price * 4} }\npromptFile: ${PROMPT}\n`);
  return file;
}

const until = async (f: () => Promise<boolean>, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
};

describe('LLM variants served from the registry, with a shadowing challenger', () => {
  const dir = mkdtempSync(join(tmpdir(), 'intentops-llm-shadow-'));
  const labels = new Map<string, string>();
  let fake: FakeLlm;
  let s: TestServing;
  const flags = () => ({
    llm: { provider: 'none', variant: 'tickets-llm', registryUri: `sqlite:${join(dir, 'llm.db')}`, artifactsUri: `file:${join(dir, 'llm-artifacts')}`, maxRetries: 0, timeoutMs: 5000, shadow: { sampleRate: 1, maxInFlight: 8 } },
    registry: { pollMs: 100 },
    cache: { uri: 'none' },
    events: { uri: `sqlite:${join(dir, 'events.db')}`, flushMs: 10 },
  });

  beforeAll(async () => {
    // the truth for each message: some intent of the sample model (any fixed one will do)
    fake = await startFakeLlm({ models: { 'fake-good': { oracle: { labels, accuracy: 1 }, latencyMs: 5 }, 'fake-bad': { oracle: { labels, accuracy: 0 }, latencyMs: 1 } } });
    const c = loadConfig({ env: {}, flags: flags() });
    const reg = await openLlmRegistry(c);
    try {
      const good = await registerVariant(reg, variantFile(dir, 'good', 'fake-good', fake.baseUrl, 0.6), 'tickets-llm', 'test', loadVariant);
      await setAlias(reg, 'tickets-llm', 'champion', good.version.version, { who: 'test', why: 'first' });
      const bad = await registerVariant(reg, variantFile(dir, 'bad', 'fake-bad', fake.baseUrl, 0.1), 'tickets-llm', 'test', loadVariant);
      await setAlias(reg, 'tickets-llm', 'challenger', bad.version.version, { who: 'test', why: 'cheaper' });
    } finally {
      await reg.store.close();
    }
    s = await testServing({ flags: flags() });
    const intents = s.model().labels.filter((l) => !s.model().manifest.outOfScopeLabels.includes(l));
    UNSURE.forEach((t, i) => labels.set(t, intents[(i * 7) % intents.length]));
  });
  afterAll(async () => {
    await s?.close();
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const classifyAll = async () => {
    const rs = [];
    for (const text of UNSURE) {
      const res = await s.post('/v1/classify', { text });
      expect(res.status).toBe(200);
      rs.push({ text, r: ClassifyResultSchema.parse(await res.json()) });
    }
    const viaLlm = rs.filter((x) => x.r.route === 'llm');
    expect(viaLlm.length).toBeGreaterThanOrEqual(3);
    return viaLlm;
  };
  const status = async (q = ''): Promise<LlmStatus> => (await (await s.get(`/v1/rollout/llm${q}`)).json()) as LlmStatus;

  it('the champion variant answers, and every answer names it (NAME@VERSION); no shadow until it is turned on', async () => {
    const answered = await classifyAll();
    for (const { text, r } of answered) {
      expect(r.llm).toMatchObject({ model: 'fake-good', variant: 'tickets-llm@1' });
      expect(r.intent).toBe(labels.get(text));
    }
    expect(fake.requests.map((q) => (q.body as { model: string }).model)).not.toContain('fake-bad');
    const st = await status();
    expect(st.served).toEqual({ name: 'tickets-llm', champion: 'tickets-llm@1', challenger: null, shadow: { on: false, sampleRate: 1, maxInFlight: 8 } });
    expect(st.live?.compared).toBe(0);
  });

  it('shadow on (the registry\'s shadow alias): both answer, only the champion\'s answer is used; agreement, cost and latency live and from the prediction log', async () => {
    const c = loadConfig({ env: {}, flags: flags() });
    const reg = await openLlmRegistry(c);
    try {
      await setAlias(reg, 'tickets-llm', SHADOW_ALIAS, 2, { who: 'test', why: 'compare the cheaper variant' });
    } finally {
      await reg.store.close();
    }
    await until(async () => (await status()).served?.shadow.on === true);
    const before = fake.requests.length;
    const answered = await classifyAll();
    for (const { text, r } of answered) {
      // the client gets the champion's answer only
      expect(r.llm?.variant).toBe('tickets-llm@1');
      expect(r.intent).toBe(labels.get(text));
    }
    await until(async () => (await status()).live!.compared === answered.length);
    const models = fake.requests.slice(before).map((q) => (q.body as { model: string }).model);
    expect(models.filter((m) => m === 'fake-bad')).toHaveLength(answered.length);
    const live = (await status()).live!;
    expect(live).toMatchObject({ compared: answered.length, agreed: 0, agreementRate: 0, dropped: 0, failed: 0 });
    expect(live.champion).toMatchObject({ variant: 'tickets-llm@1', answers: answered.length });
    expect(live.challenger).toMatchObject({ variant: 'tickets-llm@2', answers: answered.length });
    // the cheaper variant costs less per message (price 0.1 vs 0.6 per 1M tokens, same prompt)
    expect(live.challenger.costUsd).toBeGreaterThan(0);
    expect(live.challenger.costPer1k!).toBeLessThan(live.champion.costPer1k!);
    expect(live.champion.latencyMs!.p50).toBeGreaterThan(0);
    // the same figures from the prediction log (records of variant llm-shadow paired with the answers)
    await until(async () => (await status('?analysis=true&since=1h')).logged?.compared === answered.length);
    const logged = (await status('?analysis=true&since=1h')).logged!;
    expect(logged).toMatchObject({ compared: answered.length, agreed: 0 });
    expect(logged.champion.costUsd).toBeCloseTo(live.champion.costUsd, 12);
    expect(logged.challenger.costUsd).toBeCloseTo(live.challenger.costUsd, 12);
    expect(logged.challenger.variant).toBe('tickets-llm@2');
    expect((await s.get('/v1/rollout/llm?analysis=true&since=yesterday-ish')).status).toBe(400);
  });
});
