import type { Browser } from 'playwright-core';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openReviewStore } from '../../src/adapters/review-store/index.js';
import { listen, type RunningServer } from '../../src/app/http/index.js';
import { dashboardDir } from '../../src/app/http/routes/dashboard.js';
import { ReviewListSchema } from '../../src/app/http/schemas.js';
import { tempDir } from '../helpers/sample.js';
import { testServing, type TestServing } from '../helpers/serving.js';
import { launchChromium } from '../helpers/browser.js';

/* The review panel in real Chromium: open items worth most first, each with its priority and why. */
describe('dashboard: review queue by expected value', () => {
  let browser: Browser;
  let s: TestServing;
  let server: RunningServer;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    if (!dashboardDir()) throw new Error('the dashboard is not built: run `npm run build`');
    const db = join(tempDir('intentops-dash-review-'), 'review.db');
    const store = await openReviewStore(`sqlite:${db}`);
    const base = { guess: 'delivery', alternatives: [{ intent: 'billing', score: 0.1 }], reason: 'low_confidence', model: { name: 'sample', version: '1' } } as const;
    const ago = (h: number) => ({ at: new Date(Date.now() - h * 3_600_000).toISOString() });
    ids.sure = (await store.add({ ...base, text: 'a fairly sure message', confidence: 0.85 }, ago(2))).id;
    ids.unsure = (await store.add({ ...base, text: 'a very unsure message', confidence: 0.2 }, ago(2))).id;
    ids.llm = (await store.add({ ...base, text: 'the llm gave up on this', confidence: 0.2, reason: 'llm_failed' }, ago(2))).id;
    // one item for six near-duplicate messages
    for (const text of ['Where is my refund?', 'where is my refund', 'WHERE IS MY REFUND!', 'where is my refund??', 'Where is my refund.', 'where is  my refund'])
      ids.refund = (await store.add({ ...base, text, confidence: 0.5 }, ago(1))).id;
    // waited three weeks: low value, but it must not starve
    ids.old = (await store.add({ ...base, text: 'an old sure message', confidence: 0.9, reason: 'out_of_scope' }, ago(21 * 24))).id;
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

  it('lists the open items in the API order, highest priority first, with the reason for each', async () => {
    const api = ReviewListSchema.parse(await (await fetch(`${server.url}/v1/review?state=open&limit=20`)).json());
    expect(api.items.map((i) => i.id)).toEqual([ids.old, ids.refund, ids.llm, ids.unsure, ids.sure]);
    const page = await browser.newPage();
    await page.goto(`${server.url}/dashboard/?interval=60000`);
    const rows = page.getByTestId('review-item');
    await expect.poll(() => rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-id'))), { timeout: 20_000 }).toEqual(api.items.map((i) => i.id));
    const scores = (await page.getByTestId('review-score').allTextContents()).map(Number);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    const why = await page.getByTestId('review-priority').allTextContents();
    expect(why[1]).toMatch(/^priority \d+\.\d\d: 6\.0 recent messages \(6 in all\) × doubt 0\.55 \(confidence 50%, margin 40%\) × low_confidence weight 0\.8 × waited 1 h/);
    expect(why[2]).toContain('llm_failed weight 1.0');
    expect(why[0]).toMatch(/out_of_scope weight 0\.5 × waited 504 h/);
    expect(await page.getByTestId('review').textContent()).toContain('Worth most first');
    await page.close();
  });
});
