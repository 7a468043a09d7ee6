import { describe, expect, it } from 'vitest';
import { binomialTwoSidedHalf } from './special.js';
import { exactBinomialHalf, mcnemarExact } from './mcnemar-exact.js';
import { llmMcNemar, llmVariantMetrics, type LlmEvalRow, type LlmOutcome } from './llm-metrics.js';

describe('mcnemarExact', () => {
  it('matches hand-computed exact p-values', () => {
    // 10 only B right, 2 only A right: 2 * (1 + 12 + 66) / 2^12
    const a = [...Array(10).fill(false), true, true, true];
    const b = [...Array(10).fill(true), false, false, true];
    expect(mcnemarExact(a, b)).toMatchObject({ b01: 10, b10: 2 });
    expect(mcnemarExact(a, b).pValue).toBeCloseTo(158 / 4096, 14);
    // 5 only A right, none only B: 2 / 2^5
    expect(mcnemarExact([true, true, true, true, true, false], [false, false, false, false, false, false]).pValue).toBeCloseTo(0.0625, 15);
    // balanced discordance: the doubled tail is capped at 1
    expect(mcnemarExact([true, true, true, false, false, false], [false, false, false, true, true, true]).pValue).toBe(1);
    // no discordant pair
    expect(mcnemarExact([true, false], [true, false])).toEqual({ b01: 0, b10: 0, pValue: 1 });
  });

  it('stays exact where 2^-n underflows (n > 1074), and agrees with the small-n helper', () => {
    // 2 * sum_{j<=500} C(1100, j) / 2^1100, computed with big integers
    expect(exactBinomialHalf(500, 1100)).toBeCloseTo(0.0028195449914364275, 12);
    expect(exactBinomialHalf(600, 1200)).toBe(1);
    for (const [k, n] of [[0, 1], [3, 10], [7, 24], [12, 24]]) expect(exactBinomialHalf(k, n)).toBeCloseTo(binomialTwoSidedHalf(k, n), 14);
  });

  it('refuses arrays of different lengths', () => {
    expect(() => mcnemarExact([true], [true, false])).toThrow(/has 1 items but bCorrect has 2/);
  });
});

const known = (text: string, truth: string, inSlice: boolean, local = truth): LlmEvalRow => ({ text, truth, known: true, inSlice, local: { intent: local, outOfScope: false } });
const ROWS: LlmEvalRow[] = [
  known('a', 'billing', false),
  known('b', 'refund', false, 'billing'),
  known('c', 'billing', true),
  known('d', 'refund', true),
  known('e', 'delivery', true),
  { text: 'f', truth: 'chitchat', known: false, inSlice: true, local: { intent: 'billing', outOfScope: false } },
  { text: 'g', truth: 'oos', known: false, inSlice: true, local: { intent: 'oos', outOfScope: true } },
];
const ans = (intent: string | null, latencyMs: number): LlmOutcome => ({ kind: 'answer', intent, promptTokens: 100, completionTokens: 5, costUsd: 0.001, latencyMs });
const A: (LlmOutcome | undefined)[] = [
  undefined,
  undefined,
  ans('billing', 100),
  ans('refund', 200),
  ans(null, 300),
  ans(null, 400),
  { kind: 'invalid', promptTokens: 100, completionTokens: 5, costUsd: 0.001, latencyMs: 500 },
];
const B: (LlmOutcome | undefined)[] = [undefined, undefined, ans('refund', 10), ans('refund', 10), ans('delivery', 10), ans('oos', 10), { kind: 'failed', latencyMs: 10 }];

describe('llmVariantMetrics', () => {
  it('computes the slice, end-to-end, out-of-scope, validity, cost and latency figures by hand', () => {
    const m = llmVariantMetrics(ROWS, A, ['oos']);
    expect(m).toMatchObject({ evaluated: 5, sliceSize: 5, partial: false, sliceAccuracy: 0.6, unknownRows: 2, promptTokens: 500, completionTokens: 25 });
    expect(m.endToEndAccuracy).toBeCloseTo(4 / 7, 15); // 'a' locally + 3 LLM answers
    expect(m.noneRateUnknown).toBe(0.5); // 'f' none, 'g' invalid
    expect(m.falseNoneRate).toBeCloseTo(1 / 3, 15); // 'e'
    expect(m.invalidRate).toBe(0.2);
    expect(m.failedRate).toBe(0);
    expect(m.costUsd).toBeCloseTo(0.005, 15);
    expect(m.costPer1kCalls).toBeCloseTo(1, 12);
    expect(m.costPer1k).toBeCloseTo(5 / 7, 12);
    expect(m.latencyP50Ms).toBe(300);
    expect(m.latencyP95Ms).toBeCloseTo(480, 10);
    // F1: billing 1, refund 1, delivery 0, none 2·1/(2+2) = 0.5, (invalid) 0 → 2.5 / 5
    expect(m.sliceMacroF1).toBeCloseTo(0.5, 15);
    expect(m.confusions).toEqual([
      { trueLabel: 'delivery', predicted: 'none', count: 1, example: 'e' },
      { trueLabel: 'none', predicted: '(invalid)', count: 1, example: 'g' },
    ]);
  });

  it('counts an out-of-scope label as none, a failed call as wrong and unpaid', () => {
    const m = llmVariantMetrics(ROWS, B, ['oos']);
    expect(m.sliceAccuracy).toBe(0.6); // 'd', 'e' and 'f' (answered oos)
    expect(m.noneRateUnknown).toBe(0.5);
    expect(m.falseNoneRate).toBe(0);
    expect(m.failedRate).toBe(0.2);
    expect(m.promptTokens).toBe(400);
    expect(m.costUsd).toBeCloseTo(0.004, 15);
  });

  it('marks a run stopped early as partial and measures only what was answered', () => {
    const m = llmVariantMetrics(ROWS, [...A.slice(0, 5), undefined, undefined], ['oos']);
    expect(m).toMatchObject({ evaluated: 3, sliceSize: 5, partial: true, unknownRows: 0, noneRateUnknown: null });
    expect(m.sliceAccuracy).toBeCloseTo(2 / 3, 15);
    expect(m.endToEndAccuracy).toBe(0.6); // ('a' + 2) / (2 outside + 3 answered)
    const none = llmVariantMetrics(ROWS, ROWS.map(() => undefined));
    expect(none).toMatchObject({ evaluated: 0, sliceAccuracy: null, sliceMacroF1: null, costPer1kCalls: null, latencyP50Ms: null, confusions: [] });
  });
});

describe('llmMcNemar', () => {
  it('pairs the rows both variants answered', () => {
    // A right on c, d, f; B right on d, e, f: only A right on c (b10), only B right on e (b01)
    const r = llmMcNemar(ROWS, A, B, ['oos'])!;
    expect(r).toEqual({ b01: 1, b10: 1, pValue: 1, n: 5 });
    expect(llmMcNemar(ROWS, A, ROWS.map(() => undefined))).toBeNull();
  });
});
