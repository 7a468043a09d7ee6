import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedClassifier, type Scripted } from '../../../test/fixtures/gates/scripted-classifier.js';
import { ROOT, SAMPLE_TEST, tempDir } from '../../../test/helpers/sample.js';
import type { LlmVariant } from '../../ports/llm-variant.js';
import { loadVariant, openLlmResponseCache, variantClient } from '../container/index.js';
import type { LabelledText } from '../../core/types.js';
import { startFakeLlm, type FakeLlm, type SeenPrompt } from '../dev/fake-llm-server.js';
import { loadExamples } from './dataset.js';
import { runLlmEval } from './llm-eval.js';

const LABELS = ['account_change', 'delivery', 'general_question', 'login_problem', 'payment_issue', 'product_info', 'return_refund', 'security', 'subscription', 'technical_error'];
const OFF_TOPIC = ['Wer hat eigentlich das Fußballspiel gestern gewonnen?', 'Can you recommend a good pizza place near the station?'];

let examples: LabelledText[];
/** 4 accepted rows (answered locally, right), 8 known + 2 off-topic rows sent to the LLM. */
let model: ScriptedClassifier;
let truth: Map<string, string>;
let sliceKnown: string[];

beforeAll(async () => {
  const test = (await loadExamples(SAMPLE_TEST, { keepDuplicates: true })).examples.slice(0, 12);
  examples = [...test.map((e) => ({ text: e.text, label: e.label })), ...OFF_TOPIC.map((text) => ({ text, label: 'chitchat' }))];
  truth = new Map(examples.map((e) => [e.text, e.label]));
  const script = new Map<string, Scripted>(examples.map((e, i) => [e.text, { intent: LABELS.includes(e.label) ? e.label : 'general_question', confidence: i < 4 ? 0.99 : 0.4, accepted: i < 4 }]));
  model = new ScriptedClassifier(LABELS, script);
  sliceKnown = examples.slice(4, 12).map((e) => e.text);
});

const label = (intent: string) => JSON.stringify({ intent });
const wrong = (t: string) => LABELS.find((l) => l !== t)!;

/** The champion knows every answer; the challenger gets 3 known rows wrong, garbles 1 and calls one off-topic message an intent. */
function models() {
  return {
    champ: { latencyMs: 15, usage: { promptTokens: 1000, completionTokens: 10 }, reply: (p: SeenPrompt) => label(LABELS.includes(truth.get(p.message)!) ? truth.get(p.message)! : 'none') },
    chall: {
      usage: { promptTokens: 500, completionTokens: 10 },
      reply: (p: SeenPrompt) => {
        const t = truth.get(p.message)!;
        const k = sliceKnown.indexOf(p.message);
        if (k >= 0 && k < 3) return label(wrong(t));
        if (k === 3) return 'I think it is billing';
        if (p.message === OFF_TOPIC[0]) return label('general_question');
        return label(LABELS.includes(t) ? t : 'none');
      },
    },
  };
}

let fake: FakeLlm;
afterEach(() => fake?.close());

async function variants(dir: string, baseUrl: string): Promise<LlmVariant[]> {
  const prompt = join(ROOT, 'prompts', 'classify-v1.md');
  writeFileSync(join(dir, 'champ.yaml'), `provider: openai-compatible\nmodel: champ\nbaseUrl: ${baseUrl}\nprice: { inputPer1M: 1, outputPer1M: 2 }\npromptFile: ${prompt}\n`);
  writeFileSync(join(dir, 'chall.yaml'), `provider: openai-compatible\nmodel: chall\nbaseUrl: ${baseUrl}\nresponseFormat: json_object\nprice: { inputPer1M: 0.5, outputPer1M: 2 }\npromptFile: ${prompt}\n`);
  return [await loadVariant(join(dir, 'champ.yaml')), await loadVariant(join(dir, 'chall.yaml'))];
}

const FAST = { retryBaseMs: 1, retryMaxMs: 5 };

describe('llm eval against the fake LLM server', () => {
  it('measures two variants on the slice the bundle sends to the LLM, with McNemar against the champion', async () => {
    fake = await startFakeLlm({ models: models() });
    const dir = tempDir('intentops-llm-eval-');
    const r = await runLlmEval({ variants: await variants(dir, fake.baseUrl), examples, model, concurrency: 2, tuning: FAST, client: variantClient });
    expect(r).toMatchObject({ rows: 14, sliceSize: 10, accepted: 4, unknownRows: 2, partial: false });
    expect(fake.requests).toHaveLength(20);
    expect(fake.maxInFlight).toBeLessThanOrEqual(4); // 2 per variant
    const [champ, chall] = r.variants;
    expect(champ.metrics).toMatchObject({ evaluated: 10, sliceAccuracy: 1, sliceMacroF1: 1, endToEndAccuracy: 1, noneRateUnknown: 1, falseNoneRate: 0, invalidRate: 0, promptTokens: 10_000, completionTokens: 100 });
    expect(champ.metrics.costUsd).toBeCloseTo(10 * (1000 * 1 + 10 * 2) / 1e6, 12);
    expect(champ.metrics.costPer1kCalls).toBeCloseTo(1.02, 10);
    expect(champ.metrics.costPer1k).toBeCloseTo((1000 * 0.0102) / 14, 10);
    expect(champ.metrics.latencyP50Ms).toBeGreaterThanOrEqual(14);
    expect(champ.calls).toBe(10);
    expect(chall.metrics).toMatchObject({ evaluated: 10, sliceAccuracy: 0.5, invalidRate: 0.1, noneRateUnknown: 0.5, falseNoneRate: 0, unknownRows: 2 });
    expect(chall.metrics.endToEndAccuracy).toBeCloseTo(9 / 14, 12);
    expect(chall.metrics.costPer1kCalls).toBeCloseTo(0.27, 10); // 500 × 0.5 + 10 × 2 per 1M, the garbled answer paid too
    expect(chall.metrics.confusions[0]).toMatchObject({ count: 1 });
    expect(chall.metrics.confusions.map((c) => c.predicted)).toContain('(invalid)');
    expect(chall.metrics.confusions.find((c) => c.trueLabel === 'none')).toMatchObject({ predicted: 'general_question', example: OFF_TOPIC[0] });
    // champion right on all 10, challenger on 5: b10 = 5, b01 = 0, exact p = 2 / 2^5
    expect(chall.vsChampion).toMatchObject({ b01: 0, b10: 5, n: 10 });
    expect(chall.vsChampion!.pValue).toBeCloseTo(0.0625, 12);
    expect(chall.vsChampion!.verdict).toMatch(/no significant difference from champ/);
    // the prompt carried the bundle's intents and the message; the challenger asked for JSON mode
    const body = fake.requests.find((q) => (q.body as { model: string }).model === 'chall')!.body as { response_format: unknown };
    expect(body.response_format).toEqual({ type: 'json_object' });
  });

  it('with --all sends every row; a rerun is answered from the cache with zero HTTP calls', async () => {
    fake = await startFakeLlm({ models: models() });
    const dir = tempDir('intentops-llm-eval-');
    const vs = await variants(dir, fake.baseUrl);
    const cache = await openLlmResponseCache(join(dir, 'cache'));
    const first = await runLlmEval({ variants: vs, examples, model, all: true, cache, tuning: FAST, client: variantClient });
    expect(first.sliceSize).toBe(14);
    expect(fake.requests).toHaveLength(28);
    await cache.close();
    const reopened = await openLlmResponseCache(join(dir, 'cache'));
    const again = await runLlmEval({ variants: vs, examples, model, all: true, cache: reopened, tuning: FAST, client: variantClient });
    await reopened.close();
    expect(fake.requests).toHaveLength(28); // not one more call
    expect(again.variants.map((v) => [v.calls, v.cacheHits, v.spentUsd])).toEqual([
      [0, 14, 0],
      [0, 14, 0],
    ]);
    expect(again.spentUsd).toBe(0);
    for (let i = 0; i < 2; i++) {
      const { latencyP50Ms: _a, latencyP95Ms: _b, ...m } = again.variants[i].metrics;
      const { latencyP50Ms: _c, latencyP95Ms: _d, ...n } = first.variants[i].metrics;
      expect(m).toEqual(n);
    }
    // a changed prompt parameter is another request: it misses
    writeFileSync(join(dir, 'champ2.yaml'), `provider: openai-compatible\nmodel: champ\nbaseUrl: ${fake.baseUrl}\ntemperature: 0.5\nprice: { inputPer1M: 1, outputPer1M: 2 }\npromptFile: ${join(ROOT, 'prompts', 'classify-v1.md')}\n`);
    const c3 = await openLlmResponseCache(join(dir, 'cache'));
    const changed = await runLlmEval({ variants: [await loadVariant(join(dir, 'champ2.yaml'))], examples: examples.slice(0, 2), model, all: true, cache: c3, tuning: FAST, client: variantClient });
    await c3.close();
    expect(changed.variants[0].calls).toBe(2);
  });

  it('stops cleanly at the cost ceiling: partial results, marked partial, spend within the ceiling', async () => {
    fake = await startFakeLlm({ models: models() });
    const dir = tempDir('intentops-llm-eval-');
    const [champ] = await variants(dir, fake.baseUrl);
    // 0.00102 USD per call: the ceiling allows four
    const r = await runLlmEval({ variants: [champ], examples, model, concurrency: 1, maxCostUsd: 0.0045, tuning: FAST, client: variantClient });
    expect(r.partial).toBe(true);
    expect(r.stopReason).toMatch(/cost ceiling reached: .* of --max-cost-usd 0\.0045/);
    expect(fake.requests).toHaveLength(4);
    expect(r.spentUsd).toBeLessThanOrEqual(0.0045);
    expect(r.variants[0].metrics).toMatchObject({ evaluated: 4, sliceSize: 10, partial: true, sliceAccuracy: 1 });
    expect(r.variants[0].stopped).toMatch(/cost ceiling/);
  });

  it('honours 429 Retry-After and keeps going; a rejected variant stops alone, marked partial', async () => {
    fake = await startFakeLlm({ models: models() });
    fake.script({ status: 429, retryAfterMs: 30, times: 2 });
    const dir = tempDir('intentops-llm-eval-');
    const [champ] = await variants(dir, fake.baseUrl);
    writeFileSync(join(dir, 'keyed.yaml'), `provider: openai-compatible\nmodel: champ\nbaseUrl: ${fake.baseUrl.replace('/v1', '/nowhere')}\nprice: { inputPer1M: 1, outputPer1M: 2 }\npromptFile: ${join(ROOT, 'prompts', 'classify-v1.md')}\n`);
    const broken = await loadVariant(join(dir, 'keyed.yaml'));
    const t0 = Date.now();
    const limited = await runLlmEval({ variants: [champ], examples, model, concurrency: 1, tuning: FAST, client: variantClient });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(60); // waited as told, twice
    expect(limited.variants[0].metrics).toMatchObject({ evaluated: 10, sliceAccuracy: 1, failedRate: 0 });
    expect(fake.requests).toHaveLength(12); // 10 + the 2 rate-limited attempts
    const r = await runLlmEval({ variants: [champ, broken], examples, model, concurrency: 1, tuning: FAST, client: variantClient });
    expect(r.variants[0].metrics).toMatchObject({ evaluated: 10, sliceAccuracy: 1 });
    expect(r.variants[1].stopped).toMatch(/keyed stopped: chat request rejected: HTTP 404/);
    expect(r.variants[1].metrics.partial).toBe(true);
    expect(r.partial).toBe(true);
  });
});
