import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, type RunningServer } from '../../src/app/http/index.js';
import { testServing, type TestServing } from '../helpers/serving.js';
import { launchChromium } from '../helpers/browser.js';

/*
 * /docs in real Chromium with the network cut off except for this server: Swagger UI renders
 * the API from /openapi.json using only files served by the app (no CDN), and "Try it out"
 * calls the real API.
 */

let browser: Browser;
let s: TestServing;
let server: RunningServer;

beforeAll(async () => {
  s = await testServing();
  server = await listen(s.app, { host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close(1000);
  await s?.close();
});

describe('/docs offline in a browser', () => {
  it('renders every operation from local assets only', async () => {
    const page = await browser.newPage();
    const requests: string[] = [];
    const blocked: string[] = [];
    const errors: string[] = [];
    await page.route('**/*', (route) => {
      const url = route.request().url();
      requests.push(url);
      if (url.startsWith(server.url) || url.startsWith('data:')) return route.continue();
      blocked.push(url);
      return route.abort();
    });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(`${server.url}/docs`);
    await page.waitForSelector('.swagger-ui .info .title', { timeout: 20_000 });
    expect(await page.textContent('.swagger-ui .info .title')).toContain('IntentOps API');
    await page.waitForSelector('.opblock');
    const ops = await page.$$eval('.opblock-summary-path', (els) => els.map((e) => e.getAttribute('data-path')));
    expect(ops).toEqual(expect.arrayContaining(['/v1/classify', '/v1/classify/batch', '/v1/review/{id}/label', '/healthz', '/metrics']));
    expect(ops.length).toBe(24);
    expect(blocked).toEqual([]);
    expect(errors).toEqual([]);
    expect(requests.some((u) => u.endsWith('/openapi.json'))).toBe(true);
    await page.close();
  });

  it('"Try it out" on POST /v1/classify calls the server', { timeout: 180_000 }, async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/docs#/classify/classify`);
    // Swagger UI animates the expanding operation; on a loaded CI machine Playwright's "stable"
    // check on a real click timed out, so the buttons get their click event dispatched once visible
    const tryOut = page.locator('#operations-classify-classify .try-out__btn');
    await tryOut.waitFor({ state: 'visible', timeout: 60_000 });
    await tryOut.dispatchEvent('click');
    const body = page.locator('#operations-classify-classify textarea.body-param__text');
    await body.waitFor({ state: 'visible', timeout: 60_000 });
    await body.fill(JSON.stringify({ text: 'where is my parcel? tracking shows nothing' }), { timeout: 60_000 });
    const response = page.waitForResponse((r) => r.url().endsWith('/v1/classify'), { timeout: 60_000 });
    const execute = page.locator('#operations-classify-classify .execute');
    await execute.waitFor({ state: 'visible', timeout: 60_000 });
    await execute.dispatchEvent('click');
    const res = await response;
    expect(res.status()).toBe(200);
    expect((await res.json()).intent).toBe('delivery');
    await page.close();
  });
});
