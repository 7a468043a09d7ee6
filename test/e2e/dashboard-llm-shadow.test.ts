import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/app/config.js';
import { loadVariant, openLlmRegistry, SHADOW_ALIAS } from '../../src/app/container/index.js';
import { startFakeLlm, type FakeLlm } from '../../src/app/dev/fake-llm-server.js';
import { listen, type RunningServer } from '../../src/app/http/index.js';
import { dashboardDir } from '../../src/app/http/routes/dashboard.js';
import { ClassifyResultSchema } from '../../src/app/http/schemas.js';
import { registerVariant } from '../../src/app/services/llm-registry.js';
import { setAlias } from '../../src/app/services/registry.js';
import { usd } from '../../web/src/format.js';
import { tempDir } from '../helpers/sample.js';
import { testServing, type TestServing } from '../helpers/serving.js';
import { launchChromium } from '../helpers/browser.js';

/*
 * Issue #17, in real Chromium: with a challenger LLM variant shadowing the champion, the dashboard's
 * cost panel names both variants and shows their agreement, cost per 1,000 messages and latency —
 * the same figures GET /v1/rollout/llm gives. The fake LLM serves an always-right champion model
 * and an always-wrong, cheaper challenger model, so the agreement must read 0.0 %.
 */

const UNSURE = ['hmm ok', 'well then', 'so anyway', 'ok ok ok', 'what now', 'thanks'];

describe('dashboard: LLM shadow comparison', () => {
  const dir = tempDir('intentops-dash-llm-');
  const labels = new Map<string, string>();
  let fake: FakeLlm;
  let s: TestServing;
  let server: RunningServer;
  let browser: Browser;
  const flags = () => ({
    llm: { provider: 'none', variant: 'tickets-llm', registryUri: `sqlite:${join(dir, 'llm.db')}`, artifactsUri: `file:${join(dir, 'llm-artifacts')}`, maxRetries: 0, timeoutMs: 5000, shadow: { sampleRate: 1, maxInFlight: 8 } },
    cache: { uri: 'none' },
  });
  const variant = (name: string, model: string, price: number) => {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, `provider: openai-compatible\nmodel: ${model}\nbaseUrl: ${fake.baseUrl}\nprice: { inputPer1M: ${price}, outputPer1M: ${price * 4} }\npromptFile: ${resolve('prompts/classify-v1.md')}\n`);
    return file;
  };

  beforeAll(async () => {
    if (!dashboardDir()) throw new Error('the dashboard is not built: run `npm run build`');
    fake = await startFakeLlm({ models: { 'fake-good': { oracle: { labels, accuracy: 1 }, latencyMs: 5 }, 'fake-bad': { oracle: { labels, accuracy: 0 }, latencyMs: 1 } } });
    const reg = await openLlmRegistry(loadConfig({ env: {}, flags: flags() }));
    try {
      const good = await registerVariant(reg, variant('good', 'fake-good', 0.6), 'tickets-llm', 'test', loadVariant);
      await setAlias(reg, 'tickets-llm', 'champion', good.version.version, { who: 'test', why: 'first' });
      const bad = await registerVariant(reg, variant('bad', 'fake-bad', 0.1), 'tickets-llm', 'test', loadVariant);
      await setAlias(reg, 'tickets-llm', 'challenger', bad.version.version, { who: 'test', why: 'cheaper' });
      await setAlias(reg, 'tickets-llm', SHADOW_ALIAS, bad.version.version, { who: 'test', why: 'compare the cheaper variant' });
    } finally {
      await reg.store.close();
    }
    s = await testServing({ flags: flags() });
    const intents = s.model().labels.filter((l) => !s.model().manifest.outOfScopeLabels.includes(l));
    UNSURE.forEach((t, i) => labels.set(t, intents[(i * 7) % intents.length]));
    server = await listen(s.app, { host: '127.0.0.1', port: 0 });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await s?.close();
    await fake?.close();
  });

  it('names the champion and the shadowing challenger, with their agreement and cost per 1,000 messages', async () => {
    let viaLlm = 0;
    for (const text of UNSURE) {
      const r = ClassifyResultSchema.parse(await (await fetch(`${server.url}/v1/classify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) })).json());
      if (r.route === 'llm') viaLlm++;
    }
    expect(viaLlm).toBeGreaterThanOrEqual(3);
    const status = async () => (await (await fetch(`${server.url}/v1/rollout/llm`)).json()) as { live?: { compared: number; champion: { costPer1k: number | null }; challenger: { costPer1k: number | null } } };
    await expect.poll(async () => (await status()).live?.compared, { timeout: 20_000 }).toBe(viaLlm);
    const live = (await status()).live!;

    const page = await browser.newPage();
    await page.goto(`${server.url}/dashboard/?interval=60000`);
    const block = page.getByTestId('llm-variants');
    await expect.poll(() => block.textContent(), { timeout: 20_000 }).toContain('shadow: tickets-llm@2');
    const text = (await block.textContent())!;
    expect(text).toContain('LLM variant tickets-llm@1');
    expect(await page.getByTestId('llm-agreement').textContent()).toBe('0.0 %');
    expect(text).toContain(`(0/${viaLlm})`);
    const rows = await block.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(rows.map((r) => r.slice(0, 3))).toEqual([
      ['champion', 'tickets-llm@1', String(viaLlm)],
      ['challenger', 'tickets-llm@2', String(viaLlm)],
    ]);
    // the cost per 1,000 messages each variant would cost, as the API computed it
    expect(rows[0][4]).toBe(usd(live.champion.costPer1k!));
    expect(rows[1][4]).toBe(usd(live.challenger.costPer1k!));
    await page.close();
  });
});
