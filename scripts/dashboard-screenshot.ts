/**
 * `npx tsx scripts/dashboard-screenshot.ts [OUT.png]`: trains the bundled sample model, serves
 * it with the fake LLM and a small daily budget, sends mixed traffic, and takes a screenshot of
 * the dashboard in Chromium (docs/dashboard.png in the README).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { loadConfig } from '../src/app/config.js';
import { openServing } from '../src/app/container/index.js';
import { listen } from '../src/app/http/index.js';
import { trainModel } from '../src/app/container/index.js';
import { startFakeLlm } from '../src/app/dev/fake-llm-server.js';
import { createLogger } from '../src/app/telemetry/index.js';

const out = resolve(process.argv[2] ?? 'docs/dashboard.png');
const work = mkdtempSync(join(tmpdir(), 'intentops-shot-'));
try {
  const model = join(work, 'model');
  await trainModel({ data: 'data/sample/tickets.csv', out: model, embedder: 'hashed', seed: 7, name: 'tickets' });
  const fake = await startFakeLlm({ latencyMs: 40 });
  const db = `sqlite:${join(work, 'intentops.db')}`;
  const c = loadConfig({
    env: {},
    flags: {
      review: { uri: db },
      events: { uri: db },
      tracking: { uri: 'none' },
      llm: { provider: 'openai-chat', baseUrl: fake.baseUrl, model: 'gpt-4o-mini' },
      monitor: { minSamples: 50, sampleRate: 1, budget: { dailyUsd: 0.05 } },
    },
  });
  const serving = await openServing(c, { modelDir: model, log: createLogger({ level: 'warn' }) });
  const server = await listen(serving.app, { host: '127.0.0.1', port: 0 });
  const texts = ['where is my parcel? tracking shows nothing', 'Ich möchte mein Geld zurück', 'my password reset mail never arrives', 'hmm ok', 'the invoice amount is wrong', 'can I change the delivery address', 'zorblat quenvik', 'Meine Bezahlung schlägt fehl'];
  let running = true;
  const traffic = (async () => {
    for (let i = 0; running; i++) {
      await fetch(`${server.url}/v1/classify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: texts[i % texts.length] + (i % 5 === 0 ? ` (${i})` : '') }) });
      await new Promise((r) => setTimeout(r, 8));
    }
  })();
  // the review queue needs items that did not go to the LLM: send some with the LLM switched off
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  await page.goto(`${server.url}/dashboard/?interval=1000`);
  // long enough for the trend charts to show a few points
  await new Promise((r) => setTimeout(r, 15_000));
  await page.screenshot({ path: out, fullPage: true });
  running = false;
  await traffic;
  await browser.close();
  await server.close(1000);
  await serving.close();
  await fake.close();
  console.log(`wrote ${out}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
