import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/app/config.js';
import { openModel } from '../../src/app/container/index.js';
import { renderHtml, type ReportInput } from '../../src/app/report/index.js';
import { loadExamples } from '../../src/app/services/dataset.js';
import { evaluateModel, evaluatePair } from '../../src/app/services/evaluate.js';
import { trainBundle } from '../helpers/trained.js';
import { evaluateGates, gatesSchema } from '../../src/core/gates/index.js';
import { ScriptedClassifier } from '../fixtures/gates/scripted-classifier.js';
import { SAMPLE_TEST, SAMPLE_TRAIN, tempDir } from '../helpers/sample.js';
import { launchChromium } from '../helpers/browser.js';

/*
 * The HTML report in real Chromium: it renders, its charts are drawn, nothing is fetched, nothing
 * is logged as an error, and hostile texts stay text.
 */

const work = tempDir('intentops-report-');
const pages: Record<string, ReportInput> = {};
let browser: Browser;

beforeAll(async () => {
  const cfg = loadConfig({ env: {} });
  const train = (out: string, seed: number, training = {}) => trainBundle({ data: SAMPLE_TRAIN, out: join(work, out), embedder: 'hashed', seed, validation: 'split', training });
  await train('good', 7);
  await train('other', 8);
  // one epoch at a tiny learning rate: a clearly worse model
  await train('weak', 7, { maxEpochs: 1, learningRate: 0.002 });
  const [good, other, weak] = await Promise.all(['good', 'other', 'weak'].map((m) => openModel(join(work, m), cfg)));
  const test = (await loadExamples(SAMPLE_TEST, { keepDuplicates: true })).examples;
  const sig = await evaluatePair(weak, good, test);
  const same = await evaluatePair(good, other, test);
  const gates = evaluateGates(gatesSchema.parse({ minAccuracy: 0.95, maxRegression: { accuracy: 0.01 }, noSignificantRegression: true }), sig.b, sig.a);
  pages.significant = { report: sig.b, baseline: sig.a, comparison: sig.comparison, gates };
  pages.notSignificant = { report: same.b, baseline: same.a, comparison: same.comparison };
  const evil = '<img src=x onerror=alert(1)>';
  const hostile = new ScriptedClassifier(
    [evil, 'ok'],
    new Map([
      [`<script>alert("pwned")</script>`, { intent: 'ok', confidence: 0.9, accepted: true }],
      ['fine', { intent: 'ok', confidence: 0.8, accepted: false }],
    ]),
    '</title><script>alert(2)</script>',
  );
  pages.hostile = { report: await evaluateModel(hostile, [{ text: `<script>alert("pwned")</script>`, label: evil }, { text: 'fine', label: 'ok' }]) };
  for (const [name, input] of Object.entries(pages)) writeFileSync(join(work, `${name}.html`), renderHtml(input));
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

/** Opens a report file and records everything the page did. */
async function open(name: string) {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const url = pathToFileURL(join(work, `${name}.html`)).href;
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  page.on('request', (r) => requests.push(r.url()));
  const res = await page.goto(url, { waitUntil: 'load' });
  return { page, url, problems, requests, ok: res?.ok() ?? true };
}

function pngSize(buf: Buffer): { width: number; height: number } {
  expect(buf.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

describe('HTML report in Chromium', () => {
  it.each([
    ['significant', 'is better than', 'B (good) is better than A (weak)'],
    ['notSignificant', 'no significant difference', 'no significant difference between A (good) and B (other)'],
  ])('renders the %s comparison with all charts, offline and without errors', async (name, _, verdict) => {
    const { page, url, problems, requests, ok } = await open(name);
    try {
      expect(ok).toBe(true);
      expect(await page.title()).toMatch(/^IntentOps evaluation: (good|other)$/);
      for (const id of ['chart-risk-coverage', 'chart-reliability', 'chart-f1', 'chart-confusions', 'chart-compare-f1']) {
        const box = await page.locator(`svg#${id}`).boundingBox();
        expect(box, id).not.toBeNull();
        expect(box!.width).toBeGreaterThan(200);
        expect(box!.height).toBeGreaterThan(20);
      }
      expect(await page.locator('svg').count()).toBe(5);
      // the curves and bars are really drawn: 2 risk curves (model + baseline), a bar per intent
      expect(await page.locator('#chart-risk-coverage polyline').count()).toBe(2);
      expect(await page.locator('#chart-f1 g.bar').count()).toBe(10);
      expect(await page.locator('#chart-reliability rect.bin').count()).toBeGreaterThan(3);
      expect(await page.locator('#comparison .verdict').innerText()).toContain(verdict);
      expect(await page.locator('#summary .card').count()).toBe(10);
      const shot = await page.screenshot({ path: join(work, `${name}.png`), fullPage: true });
      const png = readFileSync(join(work, `${name}.png`));
      expect(png.equals(shot)).toBe(true);
      const { width, height } = pngSize(png);
      expect(width).toBe(1100);
      expect(height).toBeGreaterThan(2000);
      expect(png.length).toBeGreaterThan(50_000);
      expect(problems).toEqual([]);
      expect(requests).toEqual([url]);
    } finally {
      await page.close();
    }
  });

  it('shows the gate results of the significant case', async () => {
    const { page, problems } = await open('significant');
    try {
      expect(await page.locator('#gates .verdict').innerText()).toBe('Quality gates failed: 1 of 3 gates failed: minAccuracy');
      expect(await page.locator('#gates span.fail').count()).toBe(1);
      expect(await page.locator('#gates span.pass').count()).toBe(2);
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('keeps hostile names and messages as text: no script runs, no element is injected', async () => {
    const { page, problems, requests, url } = await open('hostile');
    try {
      expect(await page.evaluate(() => document.querySelectorAll('script, img').length)).toBe(0);
      expect(await page.title()).toBe('IntentOps evaluation: </title><script>alert(2)</script>');
      expect(await page.locator('#intents table').innerText()).toContain('<img src=x onerror=alert(1)>');
      expect(await page.locator('#confusions q').first().innerText()).toBe('<script>alert("pwned")</script>');
      expect(problems).toEqual([]);
      expect(requests).toEqual([url]);
    } finally {
      await page.close();
    }
  });
});
