import { describe, expect, it } from 'vitest';
import { LlmUnknownEvidence } from './unknown-evidence.js';

const accepted = { route: 'accepted', reason: 'confident', outOfScope: false };
const answered = { route: 'llm', reason: 'llm_answered', outOfScope: false };
const none = { route: 'llm', reason: 'out_of_scope', outOfScope: true };
const failed = { route: 'review', reason: 'llm_failed', outOfScope: false };

describe('LlmUnknownEvidence', () => {
  it('gives no estimate before minMessages, then the share of LLM answers saying none or an intent the model lacks', () => {
    const e = new LlmUnknownEvidence(100, 10);
    for (let i = 0; i < 9; i++) e.served(accepted);
    expect(e.share()).toBeNull();
    e.served(none);
    expect(e.share()).toBeCloseTo(1 / 10, 12);
    // an off-list answer marks the failed result of its message; a failure without one is not evidence
    e.offListAnswer();
    e.served(failed);
    e.served(failed);
    e.served(answered);
    expect(e.share()).toBeCloseTo(2 / 13, 12);
    // the model's own out-of-scope flag on a message the LLM then answered with an intent is no evidence
    e.served({ route: 'llm', reason: 'llm_answered', outOfScope: false });
    expect(e.share()).toBeCloseTo(2 / 14, 12);
  });

  it('counts over the latest window only (bounded), so the estimate follows the traffic both ways', () => {
    const e = new LlmUnknownEvidence(50, 10);
    for (let i = 0; i < 50; i++) e.served(i % 2 ? none : answered);
    expect(e.share()).toBeCloseTo(0.5, 12);
    for (let i = 0; i < 50; i++) e.served(accepted);
    expect(e.share()).toBe(0);
    for (let i = 0; i < 10; i++) e.served(none);
    expect(e.share()).toBeCloseTo(10 / 50, 12);
  });

  it('keeps at most a window of pending off-list marks', () => {
    const e = new LlmUnknownEvidence(5, 1);
    for (let i = 0; i < 100; i++) e.offListAnswer();
    for (let i = 0; i < 5; i++) e.served(failed);
    expect(e.share()).toBe(1);
    // the sixth failure finds no mark left
    e.served(failed);
    expect(e.share()).toBeCloseTo(4 / 5, 12);
  });

  it('refuses a window that is not a positive integer', () => {
    expect(() => new LlmUnknownEvidence(0)).toThrow(/window/);
    expect(() => new LlmUnknownEvidence(2.5)).toThrow(/window/);
  });
});
