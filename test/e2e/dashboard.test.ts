import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, type RunningServer } from '../../src/app/http/index.js';
import { dashboardDir } from '../../src/app/http/routes/dashboard.js';
import { join } from 'node:path';
import { openReviewStore } from '../../src/adapters/stores/index.js';
import { tempDir } from '../helpers/sample.js';
import { CONFIDENT, testServing, UNSURE, type TestServing } from '../helpers/serving.js';

/*
 * The dashboard in real Chromium against the real server: it loads from the app's own files,
 * shows live numbers while traffic runs, and labelling a review item in the page turns it into
 * a training example (the store's labelled() list, which `retrain` reads).
 */

const CHROMIUM = '/usr/bin/chromium';
let browser: Browser;
let s: TestServing;
let server: RunningServer;
const reviewUri = `sqlite:${join(tempDir('intentops-dashboard-'), 'review.db')}`;
let traffic: { stop: () => Promise<number> } | undefined;

function startTraffic(url: string): { stop: () => Promise<number> } {
  let running = true;
  let sent = 0;
  const texts = [CONFIDENT, 'I want my money back for the broken chair', UNSURE, 'my login does not work', 'hmm'];
  const loop = (async () => {
    while (running) {
      const text = `${texts[sent % texts.length]}${sent % 7 === 0 ? ` #${sent}` : ''}`;
      await fetch(`${url}/v1/classify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) });
      sent++;
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return sent;
    },
  };
}

beforeAll(async () => {
  if (!dashboardDir()) throw new Error('the dashboard is not built: run `npm run build` (CI does, through npm ci → prepare)');
  s = await testServing({ flags: { review: { uri: reviewUri } } });
  server = await listen(s.app, { host: '127.0.0.1', port: 0 });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}, 120_000);

afterAll(async () => {
  await traffic?.stop();
  await browser?.close();
  await server?.close(1000);
  await s?.close();
});

describe('dashboard in a browser', () => {
  it('loads from local files only and shows live numbers while traffic runs', { timeout: 120_000 }, async () => {
    const page = await browser.newPage();
    const blocked: string[] = [];
    const errors: string[] = [];
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(server.url)) return route.continue();
      blocked.push(url);
      return route.abort();
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}/dashboard/?interval=500`);
    await page.waitForSelector('[data-testid="model-name"]');
    traffic = startTraffic(server.url);
    // requests/s is computed from two /metrics scrapes: it turns positive once traffic is seen
    await page.waitForFunction(() => Number((document.querySelector('[data-testid="rps"]')?.textContent ?? '').replace(/,/g, '')) > 0, undefined, { timeout: 30_000 });
    await page.waitForFunction(() => (document.querySelector('[data-testid="p99"]')?.textContent ?? '–') !== '–', undefined, { timeout: 30_000 });
    expect(await page.textContent('[data-testid="model-name"]')).toBe('sample');
    const accepted = await page.textContent('[data-testid="route-accepted"]');
    expect(accepted).toMatch(/%$/);
    expect(Number(accepted!.replace(/[ %]/g, ''))).toBeGreaterThan(0);
    // the unsure messages land in the review queue and show up in the page
    await page.waitForSelector('[data-testid="review-item"]', { timeout: 30_000 });
    expect(blocked).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a review item labelled in the page becomes a training example', { timeout: 120_000 }, async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/dashboard/?interval=500`);
    const item = page.locator('[data-testid="review-item"]').first();
    await item.waitFor({ timeout: 30_000 });
    const id = await item.getAttribute('data-id');
    const text = await item.locator('.review-text').textContent();
    const label = s.model().labels.find((l) => l !== 'unused') ?? s.model().labels[0];
    await item.locator('select').selectOption(label);
    await item.locator('button', { hasText: 'Label' }).click();
    // the row leaves the open queue once the label is stored
    await page.waitForSelector(`[data-id="${id}"]`, { state: 'detached', timeout: 30_000 });
    // what `intentops retrain` reads: the queue's labelled items, from a connection of its own
    const store = await openReviewStore(reviewUri);
    try {
      expect(await store.labelled()).toContainEqual({ id, text, label });
    } finally {
      await store.close();
    }
    await page.close();
  });
});
