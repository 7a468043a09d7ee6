import type { Browser, Page } from 'playwright-core';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/app/cli/main.js';
import { hashKey, listen, type RunningServer } from '../../src/app/http/index.js';
import { dashboardDir } from '../../src/app/http/routes/dashboard.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadExamples } from '../../src/app/services/dataset.js';
import { openReviewStore } from '../../src/adapters/review-store/index.js';
import { SAMPLE_TEST, SAMPLE_TRAIN, tempDir } from '../helpers/sample.js';
import { CONFIDENT, testServing, UNSURE, type TestServing } from '../helpers/serving.js';
import { launchChromium } from '../helpers/browser.js';

/*
 * The dashboard in real Chromium against the real server: it loads from the app's own files,
 * shows live numbers while traffic runs, and labelling a review item in the page turns it into
 * a training example (the store's labelled() list, which `retrain` reads).
 */

let browser: Browser;
let s: TestServing;
let server: RunningServer;
const reviewUri = `sqlite:${join(tempDir('intentops-dashboard-'), 'review.db')}`;
let traffic: { stop: () => Promise<number> } | undefined;

/** Failed traffic requests (connection errors): they must not stop the traffic; printed at the end. */
const trafficErrors: string[] = [];

function startTraffic(url: string): { stop: () => Promise<number> } {
  let running = true;
  let sent = 0;
  const texts = [CONFIDENT, 'I want my money back for the broken chair', UNSURE, 'my login does not work', 'hmm'];
  const loop = (async () => {
    while (running) {
      const text = `${texts[sent % texts.length]}${sent % 7 === 0 ? ` #${sent}` : ''}`;
      try {
        await fetch(`${url}/v1/classify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) });
      } catch (e) {
        trafficErrors.push(String((e as Error & { cause?: Error }).cause ?? e));
      }
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
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await traffic?.stop();
  if (trafficErrors.length) console.warn(`dashboard test traffic: ${trafficErrors.length} failed requests, first: ${trafficErrors[0]}`);
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
    // the heading gives the queue's true size (the API's open count), repeats are merged and counted
    await page.waitForSelector('[data-testid="review-count"]', { timeout: 30_000 });
    expect(await page.textContent('[data-testid="review-count"]')).toMatch(/seen \d+×/);
    const openNow = async () => ((await (await fetch(`${server.url}/v1/review?limit=1`)).json()) as { open: number }).open;
    const before = await openNow();
    await page.waitForFunction((n) => Number(/\(([\d,]+) open\)/.exec(document.querySelector('[data-testid="review-open"]')?.textContent ?? '')?.[1]?.replace(/,/g, '')) >= n, before, { timeout: 30_000 });
    const shown = Number(/\(([\d,]+) open\)/.exec((await page.textContent('[data-testid="review-open"]'))!)![1].replace(/,/g, ''));
    expect(shown).toBeGreaterThanOrEqual(before);
    expect(shown).toBeLessThanOrEqual(await openNow());
    expect(blocked).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a review item labelled in the page becomes a training example', { timeout: 120_000 }, async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/dashboard/?interval=500`);
    const first = page.locator('[data-testid="review-item"]').first();
    await first.waitFor({ timeout: 30_000 });
    const id = await first.getAttribute('data-id');
    // the queue is ordered by priority and traffic keeps moving it: hold on to this item's row
    const item = page.locator(`[data-testid="review-item"][data-id="${id}"]`);
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

/** What a panel must not say while the feature is on (the page's features meta says which are). */
const CLAIMS: Readonly<Record<string, { panel: string; says: string[] }>> = {
  monitor: { panel: 'drift', says: ['Monitoring is off'] },
  review: { panel: 'review', says: ['Nothing to review', 'No review store'] },
  tracking: { panel: 'models', says: ['No tracked runs', 'No tracking store'] },
  budget: { panel: 'cost', says: ['No daily LLM budget'] },
  rollout: { panel: 'models', says: ['no registry rollout'] },
};

/** The false claims on the page: "off" statements about features the server has on. */
async function falseClaims(page: Page): Promise<string[]> {
  const on = JSON.parse((await page.getAttribute('meta[name="intentops-features"]', 'content'))!) as Record<string, boolean>;
  const found: string[] = [];
  for (const [feature, c] of Object.entries(CLAIMS)) {
    if (!on[feature]) continue;
    const text = (await page.textContent(`[data-testid="${c.panel}"]`)) ?? '';
    for (const claim of c.says) if (text.includes(claim)) found.push(`${c.panel}: ${claim}`);
  }
  return found;
}

/** Every response of 400 or more the page gets while `during` runs. */
async function failedResponses(page: Page, during: () => Promise<void>): Promise<string[]> {
  const failed: string[] = [];
  page.on('response', (r) => {
    if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
  });
  page.on('requestfailed', (r) => failed.push(`failed ${r.url()}`));
  await during();
  return failed;
}

/** The intentops CLI in-process, as a user would run it (real stores on temp files). */
async function intentops(args: string[], env: Record<string, string>): Promise<string> {
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (d) => (out += d));
  const stderr = new PassThrough();
  let err = '';
  stderr.on('data', (d) => (err += d));
  process.exitCode = 0;
  await runCli(args, { stdout, stderr, stdin: Readable.from([]), env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } });
  const code = process.exitCode;
  process.exitCode = 0;
  if (code) throw new Error(`intentops ${args.join(' ')} exited ${code}: ${err}`);
  return out;
}

describe('dashboard states', () => {
  it('loads without a single 4xx or 5xx response, favicon and rollout included', { timeout: 120_000 }, async () => {
    const page = await browser.newPage();
    const failed = await failedResponses(page, async () => {
      await page.goto(`${server.url}/dashboard/?interval=300`);
      await page.waitForSelector('[data-testid="model-name"]');
      // a few refreshes: every panel's request is made at least twice
      const first = await page.textContent('[data-testid="updated"]');
      await page.waitForFunction((t) => document.querySelector('[data-testid="updated"]')?.textContent !== t, first, { timeout: 30_000 });
    });
    expect(failed).toEqual([]);
    // a bundle directory has no rollout: said plainly, without asking /v1/rollout for a 404
    expect(await page.textContent('[data-testid="models"]')).toContain('Serving a model directory: no registry rollout');
    await page.close();
  });

  it('says "loading" until the API answers, never that a feature is off', { timeout: 120_000 }, async () => {
    const page = await browser.newPage();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    await page.route('**/v1/**', async (route) => {
      await held;
      await route.continue();
    });
    await page.goto(`${server.url}/dashboard/?interval=60000`);
    await page.waitForSelector('[data-testid="models"] [data-state="loading"]');
    expect(await falseClaims(page)).toEqual([]);
    expect(await page.locator('[data-testid="drift"] [data-state="loading"]').count()).toBe(1);
    expect(await page.locator('[data-testid="review"] [data-state="loading"]').count()).toBe(1);
    release();
    await page.waitForSelector('[data-testid="model-name"]');
    expect(await page.locator('[data-state="loading"]').count()).toBe(0);
    await page.close();
  });
});

describe('dashboard on a server with API keys', () => {
  let keyed: TestServing;
  let keyedServer: RunningServer;
  const KEY = 'dashboard-test-key-0123456789';
  beforeAll(async () => {
    // with a daily LLM budget, so the cost panel has something to wait for too
    keyed = await testServing({ flags: { server: { apiKeys: [{ name: 'ops', sha256: hashKey(KEY) }] }, monitor: { budget: { dailyUsd: 5 } } } });
    keyedServer = await listen(keyed.app, { host: '127.0.0.1', port: 0 });
  }, 120_000);
  afterAll(async () => {
    await keyedServer?.close(1000);
    await keyed?.close();
  });

  it('asks for the key instead of claiming features are off, then shows the data', { timeout: 120_000 }, async () => {
    const page = await browser.newPage();
    const failed = await failedResponses(page, async () => {
      await page.goto(`${keyedServer.url}/dashboard/?interval=500`);
      await page.waitForSelector('[data-testid="key-form"]');
      await page.waitForSelector('[data-testid="review"] [data-state="needs-key"]');
    });
    // the page knows the server wants a key: it does not collect 401s to find out
    expect(failed).toEqual([]);
    for (const panel of ['drift', 'cost', 'review', 'models']) {
      expect(await page.locator(`[data-testid="${panel}"] [data-state="needs-key"]`).count(), panel).toBeGreaterThan(0);
    }
    expect(await falseClaims(page)).toEqual([]);
    // a wrong key: refused once, not retried on every refresh (the server throttles an address after 10 failures)
    const refused: string[] = [];
    page.on('response', (r) => {
      if (r.status() === 401 || r.status() === 429) refused.push(`${r.status()} ${r.url()}`);
    });
    await page.fill('[data-testid="key-form"] input', 'not-the-key');
    await page.click('[data-testid="key-form"] button');
    await page.waitForSelector('[data-testid="error"]:has-text("did not accept this API key")', { timeout: 30_000 });
    const since = await page.textContent('[data-testid="updated"]');
    for (let i = 0; i < 3; i++) {
      const t = await page.textContent('[data-testid="updated"]');
      await page.waitForFunction((x) => document.querySelector('[data-testid="updated"]')?.textContent !== x, t, { timeout: 30_000 });
    }
    expect(await page.textContent('[data-testid="updated"]')).not.toBe(since);
    expect(refused).toHaveLength(1);
    expect(await falseClaims(page)).toEqual([]);
    await page.fill('[data-testid="key-form"] input', KEY);
    await page.click('[data-testid="key-form"] button');
    await page.waitForSelector('[data-testid="model-name"]', { timeout: 30_000 });
    await page.waitForSelector('[data-testid="key-form"]', { state: 'detached' });
    expect(await page.locator('[data-state="needs-key"]').count()).toBe(0);
    expect(await page.textContent('[data-testid="cost"]')).toMatch(/today \$0\.0000 of \$5\.00/);
    await page.close();
  });
});

describe('dashboard runs table', () => {
  let tracked: TestServing;
  let trackedServer: RunningServer;
  const dir = tempDir('intentops-dashboard-runs-');
  const env = { INTENTOPS_TRACKING_URI: `sqlite:${join(dir, 'runs.db')}` };
  let report: { accuracy: number; macroF1: number; ece: number };
  beforeAll(async () => {
    // what a user does: train (tracked), then eval the bundle; and one training that fails. On 40
    // examples per intent of the sample data: the table shows what was recorded, whatever the
    // model's figures (the whole file trains four times as long)
    const model = join(dir, 'model');
    const data = join(dir, 'tickets-small.jsonl');
    const perLabel = new Map<string, number>();
    const small = (await loadExamples(SAMPLE_TRAIN)).examples.filter((e) => {
      perLabel.set(e.label, (perLabel.get(e.label) ?? 0) + 1);
      return perLabel.get(e.label)! <= 40;
    });
    writeFileSync(data, small.map((e) => JSON.stringify({ text: e.text, label: e.label })).join('\n') + '\n');
    await intentops(['train', '--data', data, '--out', model, '--seed', '7', '--name', 'tickets-long-run-name'], env);
    report = JSON.parse(await intentops(['eval', '--model', model, '--data', SAMPLE_TEST, '--json'], env));
    await expect(intentops(['train', '--data', join(dir, 'missing.csv'), '--out', join(dir, 'broken'), '--name', 'broken'], env)).rejects.toThrow(/exited 3/);
    tracked = await testServing({ flags: { tracking: { uri: env.INTENTOPS_TRACKING_URI } } });
    trackedServer = await listen(tracked.app, { host: '127.0.0.1', port: 0 });
  }, 300_000);
  afterAll(async () => {
    await trackedServer?.close(1000);
    await tracked?.close();
  });

  it('shows the test figures eval recorded and the error of a failed run, inside its card', { timeout: 120_000 }, async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${trackedServer.url}/dashboard/?interval=60000`);
    const row = page.locator('[data-testid="run"][data-status="finished"]').first();
    await row.waitFor({ timeout: 30_000 });
    const figure = async (key: string) => (await row.locator(`[data-metric="${key}"]`).textContent())!.trim();
    expect(await figure('testAccuracy')).toBe(`${(100 * report.accuracy).toFixed(1)} %`);
    expect(await figure('testMacroF1')).toBe(`${(100 * report.macroF1).toFixed(1)} %`);
    expect(await figure('testEce')).toBe(report.ece.toFixed(3));
    expect(await figure('valAccuracy')).not.toBe('–');
    const failed = page.locator('[data-testid="run"][data-status="failed"]');
    expect(await failed.locator('[data-testid="run-error"]').textContent()).toMatch(/^failed: no such file: .*missing\.csv/);
    // the table stays inside its card, at a desktop width and a narrow one
    for (const width of [1280, 820]) {
      await page.setViewportSize({ width, height: 900 });
      const box = await page.evaluate(() => {
        const card = document.querySelector('[data-testid="models"]') as HTMLElement;
        return { card: card.getBoundingClientRect().right, table: (document.querySelector('.table-scroll') as HTMLElement).getBoundingClientRect().right, scroll: card.scrollWidth - card.clientWidth, page: document.documentElement.scrollWidth - window.innerWidth };
      });
      expect(box.scroll, `card overflow at ${width}px`).toBeLessThanOrEqual(0);
      expect(box.table, `table past its card at ${width}px`).toBeLessThanOrEqual(box.card);
      expect(box.page, `page overflow at ${width}px`).toBeLessThanOrEqual(0);
    }
    await page.close();
  });
});

describe('dashboard trends', () => {
  /** Pixels of the chart's canvas close to a series colour: the line is drawn, not only the axes. */
  const inked = (page: Page, chart: string, rgb: [number, number, number]) =>
    page.evaluate(
      ([sel, [r, g, b]]) => {
        const canvas = document.querySelector(`[data-testid="${sel}"] canvas`) as HTMLCanvasElement | null;
        if (!canvas) return -1;
        const px = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        let n = 0;
        for (let i = 0; i < px.length; i += 4) if (px[i + 3] > 200 && Math.abs(px[i] - r) < 40 && Math.abs(px[i + 1] - g) < 40 && Math.abs(px[i + 2] - b) < 40) n++;
        return n;
      },
      [chart, rgb] as const,
    );

  it('charts request rate, route mix and LLM spend as the page refreshes; precision waits for audit data', { timeout: 120_000 }, async () => {
    traffic ??= startTraffic(server.url);
    const page = await browser.newPage({ viewport: { width: 1280, height: 1200 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}/dashboard/?interval=300`);
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="chart-rps"]')?.getAttribute('data-points')) >= 4, undefined, { timeout: 30_000 });
    await page.waitForFunction(() => Number((document.querySelector('[data-testid="chart-rps-now"]')?.textContent ?? '').replace(/,/g, '')) > 0, undefined, { timeout: 30_000 });
    expect(await inked(page, 'chart-rps', [0x3b, 0x6f, 0xd8])).toBeGreaterThan(10);
    expect(await inked(page, 'chart-routes', [0x2f, 0x9e, 0x6e])).toBeGreaterThan(10);
    expect(await page.textContent('[data-testid="chart-routes-now"]')).toMatch(/^\d+(\.\d)? % accepted$/);
    expect(await page.textContent('[data-testid="chart-cost-now"]')).toMatch(/^\$\d/);
    expect(await page.locator('[data-testid="chart-cost"] canvas').count()).toBe(1);
    // the server gives no accepted-precision estimate without audited answers
    expect(await page.locator('[data-testid="chart-precision"] [data-state="no-audit"]').textContent()).toMatch(/No audit data yet/);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('charts accepted precision with its interval and target once /v1/monitor gives one', { timeout: 120_000 }, async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1200 } });
    // the monitor's real answer, with the `precision` field the audit estimate fills
    await page.route('**/v1/monitor', async (route) => {
      const res = await route.fetch();
      const body = { ...(await res.json()), precision: { lower: 0.931, upper: 0.989, estimate: 0.97, audited: 120, target: 0.95 } };
      await route.fulfill({ response: res, json: body });
    });
    await page.goto(`${server.url}/dashboard/?interval=300`);
    await page.waitForSelector('[data-testid="chart-precision"] canvas', { timeout: 30_000 });
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="chart-precision"]')?.getAttribute('data-points')) >= 2, undefined, { timeout: 30_000 });
    expect(await page.textContent('[data-testid="chart-precision-now"]')).toBe('97.0 % [93.1 % – 98.9 %], 120 audited');
    expect(await inked(page, 'chart-precision', [0x2f, 0x9e, 0x6e])).toBeGreaterThan(10);
    expect(await inked(page, 'chart-precision', [0xc8, 0x38, 0x2c])).toBeGreaterThan(5);
    await page.unrouteAll({ behavior: 'ignoreErrors' });
    await page.close();
  });
});
