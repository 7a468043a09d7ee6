import { describe, expect, it } from 'vitest';
import { IntentOpsError } from '../errors.js';
import { evaluateLlmGates, hasLlmGates } from './llm.js';
import { parseGates } from './parse.js';

const OK = { sliceAccuracy: 0.82, costPer1k: 0.05, invalidRate: 0.01, partial: false };

describe('LLM gates', () => {
  it('are read from the gates file under llm:, with file:line errors like the other gates', () => {
    const g = parseGates('minAccuracy: 0.8\nllm:\n  minSliceAccuracy: 0.8\n  maxCostPer1k: 0.1\n  maxInvalidRate: 0.02\n', 'gates.yaml');
    expect(g.llm).toEqual({ minSliceAccuracy: 0.8, maxCostPer1k: 0.1, maxInvalidRate: 0.02 });
    expect(hasLlmGates(g)).toBe(true);
    expect(hasLlmGates(parseGates('minAccuracy: 0.8\n', 'g.yaml'))).toBe(false);
    // a file with only LLM gates is a valid gates file
    expect(parseGates('llm:\n  maxInvalidRate: 0.05\n', 'g.yaml').llm?.maxInvalidRate).toBe(0.05);
    let e: unknown;
    try {
      parseGates('llm:\n  minSliceAccuracy: 0.8\n  maxCostPer1000: 0.1\n', 'gates.yaml');
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(IntentOpsError);
    expect((e as IntentOpsError).where).toBe('gates.yaml:3 (llm.maxCostPer1000)');
    expect((e as IntentOpsError).hint).toMatch(/valid keys under llm: minSliceAccuracy, maxCostPer1k, maxInvalidRate/);
  });

  it('pass at the limits, fail past them, and fail a partial run', () => {
    const g = { minSliceAccuracy: 0.82, maxCostPer1k: 0.05, maxInvalidRate: 0.01 };
    expect(evaluateLlmGates(g, OK).passed).toBe(true);
    const bad = evaluateLlmGates(g, { ...OK, sliceAccuracy: 0.7, costPer1k: 0.2 });
    expect(bad.failed.map((f) => f.gate)).toEqual(['llm.minSliceAccuracy', 'llm.maxCostPer1k']);
    expect(bad.failed[0].message).toBe('accuracy on the LLM slice 70.0% is below the minimum 82.0%');
    expect(bad.failed[1].message).toBe('cost per 1,000 messages 0.2000 USD is above the maximum 0.0500 USD');
    const partial = evaluateLlmGates({ maxInvalidRate: 0.5 }, { ...OK, partial: true });
    expect(partial.passed).toBe(false);
    expect(partial.failed[0].message).toMatch(/stopped early/);
    expect(evaluateLlmGates({ minSliceAccuracy: 0.5 }, { ...OK, sliceAccuracy: null }).failed[0].message).toMatch(/undefined/);
  });
});
