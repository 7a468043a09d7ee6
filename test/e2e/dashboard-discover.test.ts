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

/* The dashboard's "New topics" panel in real Chromium: the clusters of the review queue, named. */
describe('dashboard: intent discovery panel', () => {
  let browser: Browser;
  let s: TestServing;
  let server: RunningServer;

  beforeAll(async () => {
    if (!dashboardDir()) throw new Error('the dashboard is not built: run `npm run build`');
    const db = join(tempDir('intentops-dash-discover-'), 'review.db');
    const store = await openReviewStore(`sqlite:${db}`);
    for (const [k, text] of [...TOPICS.loyalty, ...TOPICS.gift, ...TOPICS.stray].entries())
      await store.add({ text, guess: 'general_question', confidence: 0.3, alternatives: [], reason: 'out_of_scope', model: { name: 'sample', version: '1' } }, { at: new Date(Date.now() - (k + 1) * 3_600_000).toISOString() });
    await store.close();
    s = await testServing({ flags: { review: { uri: `sqlite:${db}` } } });
    server = await listen(s.app, { host: '127.0.0.1', port: 0 });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await s?.close();
  });

  it('shows the two topics with their suggested names and the commands to act on them', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/dashboard/?interval=60000`);
    const names = page.getByTestId('discover-name');
    await expect.poll(() => names.allTextContents(), { timeout: 20_000 }).toEqual(['loyalty_points', 'gift_wrapping']);
    const first = page.getByTestId('discover-cluster').first();
    expect(await first.textContent()).toMatch(/8 messages \(8 texts\).*intentops discover accept c-[0-9a-f]{10} --intent loyalty_points/);
    await page.close();
  });
});
