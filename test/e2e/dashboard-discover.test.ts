import type { Browser } from 'playwright-core';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openReviewStore } from '../../src/adapters/review-store/index.js';
import { listen, type RunningServer } from '../../src/app/http/index.js';
import { dashboardDir } from '../../src/app/http/routes/dashboard.js';
import { TOPICS } from '../fixtures/discover-messages.js';
import { tempDir } from '../helpers/sample.js';
import { testServing, type TestServing } from '../helpers/serving.js';
import { launchChromium } from '../helpers/browser.js';
import { startFakeLlm, type FakeLlm } from '../../src/app/dev/fake-llm-server.js';

/* The dashboard's "New topics" panel in real Chromium: the clusters of the review queue, named. */
describe('dashboard: intent discovery panel', () => {
  let browser: Browser;
  let s: TestServing;
  let server: RunningServer;
  let named: TestServing;
  let namedServer: RunningServer;
  let fake: FakeLlm;

  beforeAll(async () => {
    if (!dashboardDir()) throw new Error('the dashboard is not built: run `npm run build`');
    const db = join(tempDir('intentops-dash-discover-'), 'review.db');
    const store = await openReviewStore(`sqlite:${db}`);
    for (const [k, text] of [...TOPICS.loyalty, ...TOPICS.gift, ...TOPICS.stray].entries())
      await store.add({ text, guess: 'general_question', confidence: 0.3, alternatives: [], reason: 'out_of_scope', model: { name: 'sample', version: '1' } }, { at: new Date(Date.now() - (k + 1) * 3_600_000).toISOString() });
    await store.close();
    s = await testServing({ flags: { review: { uri: `sqlite:${db}` } } });
    server = await listen(s.app, { host: '127.0.0.1', port: 0 });
    // the same queue served with the LLM configured, which suggests one name for both clusters:
    // the larger keeps it, the other's is refused (names are checked in report order, whatever order the calls end in)
    fake = await startFakeLlm();
    fake.script({ name: 'loyalty_scheme', times: 2 });
    named = await testServing({ flags: { review: { uri: `sqlite:${db}` }, llm: { provider: 'openai-chat', baseUrl: fake.baseUrl, model: 'gpt-4o-mini' } } });
    namedServer = await listen(named.app, { host: '127.0.0.1', port: 0 });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await s?.close();
    await namedServer?.close();
    await named?.close();
    await fake?.close();
  });

  it('shows the two topics with their suggested names and the commands to act on them', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/dashboard/?interval=60000`);
    const names = page.getByTestId('discover-name');
    await expect.poll(() => names.allTextContents(), { timeout: 20_000 }).toEqual(['loyalty_points', 'gift_wrapping']);
    const first = page.getByTestId('discover-cluster').first();
    expect(await first.textContent()).toMatch(/8 messages \(8 texts\).*intentops discover accept c-[0-9a-f]{10} --intent loyalty_points/);
    expect(await page.getByTestId('discover-name-source').allTextContents()).toEqual(['(from terms)', '(from terms)']);
    await page.close();
  });

  it('with the LLM configured, shows its name, which model named it, and where its suggestion was not used', async () => {
    const page = await browser.newPage();
    await page.goto(`${namedServer.url}/dashboard/?interval=60000`);
    const names = page.getByTestId('discover-name');
    await expect.poll(() => names.allTextContents(), { timeout: 20_000 }).toEqual(['loyalty_scheme', 'gift_wrapping']);
    const sources = page.getByTestId('discover-name-source');
    expect(await sources.allTextContents()).toEqual(['(named by the LLM, gpt-4o-mini)', '(from terms; LLM name not used)']);
    expect(await sources.nth(1).getAttribute('title')).toMatch(/already suggested for another cluster/);
    expect(await page.getByTestId('discover-naming').textContent()).toMatch(/1 of 2 named by the LLM \(2 call\(s\) this time\)/);
    expect(await page.getByTestId('discover-cluster').first().textContent()).toMatch(/--intent loyalty_scheme/);
    await page.close();
  });
});
