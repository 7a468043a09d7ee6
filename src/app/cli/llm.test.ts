import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../../test/helpers/capture.js';
import { ROOT, SAMPLE_TEST, SAMPLE_TRAIN, tempDir } from '../../../test/helpers/sample.js';
import { startFakeLlm, type FakeLlm } from '../dev/fake-llm-server.js';
import { loadExamples } from '../services/dataset.js';
import { modelFromBundle } from '../container/index.js';
import { trainBundle } from '../../../test/helpers/trained.js';
import { readBundle } from '../../adapters/bundle/index.js';

const OFF_TOPIC = ['Who won the football match last night?', 'Kannst du mir ein gutes Rezept für Apfelkuchen geben?', 'What is the capital of Australia?'];

let dir: string;
let bundle: string;
let data: string;
let fake: FakeLlm;
let slice: number;
let env: Record<string, string>;

beforeAll(async () => {
  dir = tempDir('intentops-llm-cli-');
  bundle = join(dir, 'model');
  await trainBundle({ data: SAMPLE_TRAIN, out: bundle, embedder: 'hashed', seed: 7, name: 'sample' });
  const rows = (await loadExamples(SAMPLE_TEST, { keepDuplicates: true })).examples.slice(0, 40).map((e) => ({ text: e.text, label: e.label }));
  rows.push(...OFF_TOPIC.map((text) => ({ text, label: 'chitchat' })));
  data = join(dir, 'labelled.csv');
  writeFileSync(data, stringify(rows, { header: true, columns: ['text', 'label'] }));
  // what the bundle itself does not accept: the slice the LLM should see
  const model = await modelFromBundle(readBundle(bundle));
  slice = (await model.classify(rows.map((r) => r.text), { llmAvailable: true })).filter((p) => p.route !== 'accepted').length;
  const truth = new Map(rows.map((r) => [r.text, r.label === 'chitchat' ? 'none' : r.label]));
  fake = await startFakeLlm({
    models: {
      champ: { oracle: { labels: truth, accuracy: 1 }, usage: { promptTokens: 800, completionTokens: 8 } },
      chall: { oracle: { labels: truth, accuracy: 0.5, seed: 3 }, usage: { promptTokens: 400, completionTokens: 8 } },
    },
  });
  const prompt = readFileSync(join(ROOT, 'prompts', 'classify-v1.md'), 'utf8');
  const variant = (model: string, price: string) => `---\nprovider: openai-compatible\nmodel: ${model}\nbaseUrl: ${fake.baseUrl}\nprice: ${price}\n---\n${prompt}`;
  writeFileSync(join(dir, 'champ.md'), variant('champ', '{ inputPer1M: 1, outputPer1M: 4 }'));
  writeFileSync(join(dir, 'chall.md'), variant('chall', '{ inputPer1M: 0.1, outputPer1M: 0.4 }'));
  writeFileSync(join(dir, 'bad.md'), variant('chall', '{ inputPer1M: 0.1, outputPer1M: 0.4 }').replace('price:', 'temperature: hot\nprice:'));
  writeFileSync(join(dir, 'gates.yaml'), 'llm:\n  minSliceAccuracy: 0.9\n  maxCostPer1k: 1\n  maxInvalidRate: 0.05\n');
  env = {
    INTENTOPS_TRACKING_URI: `sqlite:${join(dir, 'tracking.db')}`,
    INTENTOPS_CACHE_DIR: join(dir, 'cache'),
    INTENTOPS_REGISTRY_URI: `sqlite:${join(dir, 'registry.db')}`,
    INTENTOPS_ARTIFACTS_URI: `file:${join(dir, 'artifacts')}`,
    INTENTOPS_LLM_REGISTRY_URI: `sqlite:${join(dir, 'llm-registry.db')}`,
    INTENTOPS_LLM_ARTIFACTS_URI: `file:${join(dir, 'llm-artifacts')}`,
  };
}, 120_000);
afterAll(() => fake?.close());

const base = () => ['llm', 'eval', '--variants', `${join(dir, 'champ.md')},${join(dir, 'chall.md')}`, '--data', data, '--model', bundle];

describe('intentops llm eval', () => {
  it('runs both variants on the slice the bundle sends to the LLM, records runs, and a rerun costs nothing', async () => {
    expect(slice).toBeGreaterThan(3);
    expect(slice).toBeLessThan(43);
    const r = await runCliCaptured([...base(), '--md', join(dir, 'report.md'), '--html', join(dir, 'report.html')], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`the LLM slice: ${slice} of 43 rows`);
    expect(r.stdout).toMatch(/champ \(champion\)/);
    expect(r.stdout).toMatch(/chall: .*McNemar exact/);
    expect(r.stdout).toMatch(/recorded as runs/);
    expect(fake.requests).toHaveLength(2 * slice);
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).toMatch(/^# LLM evaluation[\s\S]*\| variant \|/);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toMatch(/^<!doctype html>[\s\S]*<th>slice acc<\/th>[\s\S]*champ \(champion\)/);
    expect(html).not.toMatch(/<script|https?:\/\/(?!127\.0\.0\.1)/);

    const again = await runCliCaptured([...base(), '--json'], env);
    expect(again.code).toBe(0);
    expect(fake.requests).toHaveLength(2 * slice); // answered from the cache
    const j = JSON.parse(again.stdout);
    expect(j.variants.map((v: { calls: number; cacheHits: number }) => [v.calls, v.cacheHits])).toEqual([
      [0, slice],
      [0, slice],
    ]);
    expect(j.variants[0].metrics.sliceAccuracy).toBe(1);
    expect(j.variants[0].metrics.noneRateUnknown).toBe(1);
    expect(j.variants[1].metrics.sliceAccuracy).toBeLessThan(1);
    expect(j.variants[0].metrics.costPer1kCalls).toBeCloseTo(0.832, 10); // 800 × 1 + 8 × 4 per 1M, × 1,000
    expect(j.variants[1].vsChampion.n).toBe(slice);

    const runs = await runCliCaptured(['runs', 'list'], env);
    expect(runs.stdout).toMatch(/llm:champ/);
    expect(runs.stdout).toMatch(/llm:chall/);
  }, 120_000);

  it('applies the llm gates: exit 6 when a variant fails them', async () => {
    const r = await runCliCaptured([...base(), '--gates', join(dir, 'gates.yaml')], env);
    expect(r.code).toBe(6);
    expect(r.stdout).toMatch(/gates for champ: PASSED/);
    expect(r.stdout).toMatch(/gates for chall: FAILED\n\s+FAIL\s+llm\.minSliceAccuracy: accuracy on the LLM slice .* is below the minimum 90\.0%/);
    const champOnly = await runCliCaptured(['llm', 'eval', '--variants', join(dir, 'champ.md'), '--data', data, '--model', bundle, '--gates', join(dir, 'gates.yaml')], env);
    expect(champOnly.code).toBe(0);
  }, 60_000);

  it('stops at --max-cost-usd with partial results; a malformed variant names its file and line', async () => {
    const before = fake.requests.length;
    const r = await runCliCaptured([...base(), '--all', '--no-cache', '--no-track', '--concurrency', '1', '--max-cost-usd', '0.002'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/PARTIAL RESULTS: cost ceiling reached/);
    expect(fake.requests.length - before).toBeLessThan(10);
    const bad = await runCliCaptured(['llm', 'eval', '--variants', join(dir, 'bad.md'), '--data', data, '--model', bundle], env);
    expect(bad.code).toBe(2);
    // line 1 "---", 2 provider, 3 model, 4 baseUrl, 5 temperature
    expect(bad.stderr).toContain(`${join(dir, 'bad.md')}:5 (temperature)`);
    expect(bad.stderr).toMatch(/hint: .*temperature/);
  }, 60_000);

  it('registers variants as versions with aliases; promote refuses one failing the llm gates and moves the alias for one passing', async () => {
    const reg = async (file: string, extra: string[] = []) => runCliCaptured(['llm', 'register', join(dir, file), '--name', 'tickets-llm', ...extra], env);
    const r1 = await reg('champ.md', ['--alias', 'champion', '--why', 'first prompt']);
    expect(r1.stderr).toBe('');
    expect(r1.stdout).toMatch(/^registered tickets-llm\/1: variant champ@[0-9a-f]{12} \(openai-compatible:champ\); champion → 1/);
    expect((await reg('chall.md')).stdout).toMatch(/registered tickets-llm\/2/);
    const gated = ['--gates', join(dir, 'gates.yaml'), '--data', data, '--model', bundle];
    const refused = await runCliCaptured(['llm', 'promote', 'tickets-llm/2', '--to', 'champion', ...gated], env);
    expect(refused.code).toBe(6);
    expect(refused.stdout).toMatch(/refused: tickets-llm\/2 fails the llm gates \(llm\.minSliceAccuracy\); tickets-llm@champion unchanged/);
    // the same content registered again: the same version hash, so its answers come from the cache
    expect((await reg('champ.md')).stdout).toMatch(/registered tickets-llm\/3: variant champ@/);
    const calls = fake.requests.length;
    const ok = await runCliCaptured(['llm', 'promote', 'tickets-llm/3', '--to', 'champion', '--why', 'same prompt, re-registered', ...gated], env);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/promoted: tickets-llm@champion 1 → 3/);
    expect(fake.requests.length).toBe(calls);
    const hist = await runCliCaptured(['llm', 'history', 'tickets-llm'], env);
    expect(hist.stdout).toMatch(/champion: 1 → 3 {2}by .*: same prompt, re-registered/);
    // variants live in a registry of their own: the model registry (and rollout) never sees them
    expect((await runCliCaptured(['models', 'list'], env)).stdout).not.toMatch(/tickets-llm/);
    expect(JSON.parse((await runCliCaptured(['llm', 'show', 'tickets-llm'], env)).stdout)).toMatchObject({ latestVersion: 3, aliases: { champion: 3 } });
    const notVariant = await runCliCaptured(['llm', 'promote', 'nothing/1', ...gated], env);
    expect(notVariant.code).toBe(3);
  }, 120_000);

  it('llm rollout shadow|off NAME: an audited shadow alias on the challenger; llm status shows the served variants and the logged comparison', async () => {
    const ev = { ...env, INTENTOPS_EVENTS_URI: `sqlite:${join(dir, 'events.db')}`, INTENTOPS_LLM_VARIANT: 'tickets-llm' };
    // no challenger yet: nothing to shadow
    const none = await runCliCaptured(['llm', 'rollout', 'shadow', 'tickets-llm', '--why', 'try it'], ev);
    expect(none.code).toBe(3);
    expect(none.stderr).toMatch(/no challenger alias/);
    const reg = await runCliCaptured(['llm', 'register', join(dir, 'chall.md'), '--name', 'tickets-llm', '--alias', 'challenger'], ev);
    const challenger = /tickets-llm\/(\d+)/.exec(reg.stdout)![1];
    const on = await runCliCaptured(['llm', 'rollout', 'shadow', 'tickets-llm', '--why', 'compare the cheaper prompt'], ev);
    expect(on.code).toBe(0);
    expect(on.stdout).toBe(`tickets-llm: shadow on: tickets-llm@${challenger} shadows tickets-llm@3\n`);
    const st = await runCliCaptured(['llm', 'status'], ev);
    expect(st.code).toBe(0);
    expect(st.stdout).toMatch(new RegExp(`LLM: tickets-llm@3 \\(tickets-llm@champion\\)\\n  shadow on: tickets-llm@${challenger} answers 10.0% of the champion's LLM answers too`));
    expect(st.stdout).toMatch(/prediction log \(all replicas, since .*\):\n  no shadowed messages yet/);
    const json = JSON.parse((await runCliCaptured(['llm', 'status', '--json', '--since', '1h'], ev)).stdout);
    expect(json).toMatchObject({ served: { name: 'tickets-llm', champion: 'tickets-llm@3', challenger: `tickets-llm@${challenger}`, shadow: { on: true } }, logged: { compared: 0 } });
    const off = await runCliCaptured(['llm', 'rollout', 'off', 'tickets-llm', '--why', 'enough data'], ev);
    expect(off.stdout).toBe(`tickets-llm: shadow off (was tickets-llm@${challenger})\n`);
    expect((await runCliCaptured(['llm', 'status', '--json'], ev)).stdout).toMatch(/"on": false/);
    // both moves are in the audit log
    const hist = (await runCliCaptured(['llm', 'history', 'tickets-llm'], ev)).stdout;
    expect(hist).toMatch(new RegExp(`shadow: \\(none\\) → ${challenger} {2}by .*: compare the cheaper prompt`));
    expect(hist).toMatch(new RegExp(`shadow: ${challenger} → \\(deleted\\) {2}by .*: enough data`));
    const badSince = await runCliCaptured(['llm', 'status', '--since', 'lately'], ev);
    expect(badSince.code).not.toBe(0);
    expect(badSince.stderr).toMatch(/--since/);
  }, 120_000);
});

describe('intentops dev fake-llm --models', () => {
  it('parses named models with their own accuracy and latency over the oracle', async () => {
    const { namedModels } = await import('./dev.js');
    const oracle = { labels: { a: 'x' }, accuracy: 0.9, seed: 1 };
    const m = namedModels('good=0.95:400, cheap=0.8', oracle);
    expect(m.good).toMatchObject({ latencyMs: 400, oracle: { accuracy: 0.95, seed: '1:good' } });
    expect(m.cheap.latencyMs).toBeUndefined();
    expect(() => namedModels('bad=1.5', oracle)).toThrow(/NAME=ACCURACY\[:LATENCY_MS\]/);
    expect(() => namedModels('good=0.9', undefined)).toThrow(/needs --oracle/);
  });
});
