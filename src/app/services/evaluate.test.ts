import { describe, expect, it } from 'vitest';
import { ScriptedClassifier, type Scripted } from '../../../test/fixtures/gates/scripted-classifier.js';
import { rejection } from '../../../test/helpers/sample.js';
import { DEFAULT_LLM_PRICE, evaluateModel, evaluatePair, projectLlmCost } from './evaluate.js';

/** 10 examples: 2 labels × 5; 8 right; the 4 most confident accepted. */
function fixture() {
  const examples = Array.from({ length: 10 }, (_, i) => ({ text: `message ${i}`, label: i < 5 ? 'billing' : 'refund' }));
  const script = new Map<string, Scripted>(
    examples.map((e, i) => [e.text, { intent: i === 3 || i === 8 ? (e.label === 'billing' ? 'refund' : 'billing') : e.label, confidence: 0.95 - i * 0.05, accepted: i < 4 }]),
  );
  return { examples, model: new ScriptedClassifier(['billing', 'refund'], script) };
}

describe('projectLlmCost', () => {
  it('prices the share not accepted at gpt-4o-mini rates by default', () => {
    const p = projectLlmCost(0.3);
    expect(p.price).toEqual(DEFAULT_LLM_PRICE);
    expect(p.costPerCall).toBeCloseTo((600 * 0.15 + 10 * 0.6) / 1e6, 15);
    expect(p.callsPer1k).toBeCloseTo(300, 10);
    expect(p.costPer1k).toBeCloseTo(0.0288, 12);
    expect(p.allLlmCostPer1k).toBeCloseTo(0.096, 12);
    expect(p.assumption).toMatch(/~600 prompt \+ 10 completion tokens at gpt-4o-mini prices \(0\.15 \/ 0\.6 USD per 1M/);
  });

  it('uses a custom price table and token estimate, and rejects negative prices', () => {
    const p = projectLlmCost(0.5, { model: 'big', inputPer1M: 2.5, outputPer1M: 10, currency: 'EUR' }, { prompt: 1000, completion: 100 });
    expect(p.costPerCall).toBeCloseTo(0.0035, 12);
    expect(p.costPer1k).toBeCloseTo(1.75, 10);
    expect(() => projectLlmCost(0.5, { ...DEFAULT_LLM_PRICE, inputPer1M: -1 })).toThrow(/inputPer1M = -1 is not a non-negative number/);
  });
});

describe('evaluateModel', () => {
  it('reports curve, AURC, calibration, cost, latency and correctness', async () => {
    const { examples, model } = fixture();
    const r = await evaluateModel(model, examples, undefined, { batchSize: 3, now: () => new Date('2025-06-01T00:00:00Z') });
    expect(r.accuracy).toBe(0.8);
    expect(r.correctness).toBe('1110111101');
    expect(r.testSetHash).toMatch(/^[0-9a-f]{64}$/);
    expect(r.evaluatedAt).toBe('2025-06-01T00:00:00.000Z');
    expect(r.accepted).toMatchObject({ coverage: 0.4, acceptedAccuracy: 0.75, accepted: 4 });
    expect(r.routes).toEqual({ accepted: 4, llm: 0, review: 6 });
    expect(r.riskCoverageCurve.at(-1)).toMatchObject({ coverage: 1, kept: 10 });
    expect(r.riskCoverageCurve.at(-1)!.risk).toBeCloseTo(0.2, 12);
    expect(r.riskCoverageCurve).toHaveLength(10);
    // errors ranked 4th and 9th: mean over k of errors among the first k
    const expected = [0, 0, 0, 1 / 4, 1 / 5, 1 / 6, 1 / 7, 1 / 8, 2 / 9, 2 / 10].reduce((a, b) => a + b) / 10;
    expect(r.aurc).toBeCloseTo(expected, 12);
    expect(r.reliability).toHaveLength(15);
    expect(r.reliability.reduce((s, b) => s + b.count, 0)).toBe(10);
    expect(r.llm.fallbackShare).toBeCloseTo(0.6, 12);
    expect(r.llm.callsPer1k).toBeCloseTo(600, 9);
    expect(model.calls).toEqual([3, 3, 3, 1]);
    expect(r.latency).toMatchObject({ unit: 'ms/message', batchSize: 3, batches: 4 });
    expect(r.latency.p50).toBeGreaterThanOrEqual(0);
    expect(r.latency.p99).toBeGreaterThanOrEqual(r.latency.p50);
    expect(r.latency.method).toMatch(/4 sequential batches of up to 3/);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it('picks a batch size giving enough latency samples', async () => {
    const { examples, model } = fixture();
    const r = await evaluateModel(model, examples);
    expect(r.latency.batchSize).toBe(1);
    expect(r.latency.batches).toBe(10);
  });

  it('rejects empty data and bad options', async () => {
    const { examples, model } = fixture();
    expect((await rejection(evaluateModel(model, []))).message).toBe('no test examples');
    expect((await rejection(evaluateModel(model, examples, undefined, { batchSize: 0 }))).where).toBe('evaluateModel(batchSize)');
    expect((await rejection(evaluateModel(model, examples, undefined, { tokens: { prompt: Number.NaN, completion: 1 } }))).message).toMatch(/prompt = NaN/);
  });

  it('compares two models on the same examples', async () => {
    const { examples, model } = fixture();
    const perfect = new ScriptedClassifier(['billing', 'refund'], new Map(examples.map((e) => [e.text, { intent: e.label, confidence: 0.9, accepted: true }])), 'perfect');
    const { a, b, comparison } = await evaluatePair(model, perfect, examples);
    expect(a.accuracy).toBe(0.8);
    expect(b.accuracy).toBe(1);
    expect(comparison.mcnemar).toMatchObject({ b01: 2, b10: 0 });
    expect(comparison.verdict).toBe('no significant difference between A (scripted) and B (perfect) (p = 0.5, +20.0 pts accuracy, α = 0.05)');
  });
});
