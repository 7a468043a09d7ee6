import { describe, expect, it } from 'vitest';
import { decide, topTwo, type RoutingPolicy } from './policy.js';

const policy: RoutingPolicy = { minConfidence: 0.8, minMargin: 0.3, requireKnnAgreement: true };

describe('topTwo', () => {
  it('finds the best label and its margin over the runner-up', () => {
    expect(topTwo([0.1, 0.7, 0.2])).toEqual({ label: 1, confidence: 0.7, margin: 0.7 - 0.2 });
    expect(topTwo([0.5, 0.3, 0.2]).margin).toBeCloseTo(0.2, 12);
  });
});

describe('decide', () => {
  it('accepts a confident, clear message whose nearest example agrees', () => {
    const d = decide([0.9, 0.05, 0.05], 0, policy, true);
    expect(d).toMatchObject({ label: 0, route: 'accepted', reason: 'confident', knnAgrees: true });
  });

  it('sends unsure messages to the LLM when one is configured, else to review with the best guess', () => {
    expect(decide([0.6, 0.3, 0.1], 0, policy, true)).toMatchObject({ route: 'llm', reason: 'low_confidence', label: 0 });
    expect(decide([0.6, 0.3, 0.1], 0, policy, false)).toMatchObject({ route: 'review', reason: 'low_confidence', label: 0 });
  });

  it('checks the margin and the kNN agreement', () => {
    const wide = { ...policy, minMargin: 0.8 };
    expect(decide([0.85, 0.15, 0], 0, wide, false).reason).toBe('low_margin');
    expect(decide([0.9, 0.05, 0.05], 2, policy, false)).toMatchObject({ route: 'review', reason: 'knn_disagrees', knnAgrees: false });
    // without an index there is no agreement to require
    expect(decide([0.9, 0.05, 0.05], null, policy, false).route).toBe('accepted');
  });
});
