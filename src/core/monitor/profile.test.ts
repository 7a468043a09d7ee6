import { describe, expect, it } from 'vitest';
import { CONFIDENCE_EDGES, confidenceHistogram } from './histogram.js';
import { buildProfile, describeProfile } from './profile.js';

const unit = (...xs: number[]) => {
  const n = Math.hypot(...xs);
  return Float32Array.from(xs, (x) => x / n);
};

describe('buildProfile', () => {
  const examples = [
    { text: 'reset my password', label: 'login' },
    { text: 'forgot my password', label: 'login' },
    { text: 'where is my parcel', label: 'delivery' },
    { text: 'stray label', label: 'not-a-model-label' },
  ];

  it('counts labels in model order, builds the vocabulary and takes the validation coverage', () => {
    const p = buildProfile({ labels: ['delivery', 'login'], examples, coverage: 0.8 });
    expect(p.labelCounts).toEqual([1, 2]);
    expect(p.vocabulary.has('parcel')).toBe(true);
    expect(p.expectedAcceptedShare).toBe(0.8);
    expect(p.confidence).toBeUndefined();
    expect(p.centroids).toBeUndefined();
    expect(describeProfile(p)).toMatchObject({ examples: 4, labels: 2, confidenceReference: 'live-baseline', centroidDistance: null });
  });

  it('uses a recorded held-out confidence histogram and fits centroids from the embedded examples', () => {
    const counts = confidenceHistogram([0.4, 0.95, 0.99]);
    const p = buildProfile({
      labels: ['delivery', 'login'],
      examples,
      coverage: 1.2,
      heldOutConfidence: { edges: [...CONFIDENCE_EDGES], counts },
      embedded: { vectors: [unit(1, 0), unit(1, 1), unit(0, 1), unit(0.1, 1)], labels: [1, 1, 0, 0] },
    });
    expect(p.confidence).toEqual(counts);
    expect(p.expectedAcceptedShare).toBe(1);
    expect(p.centroids!.classes).toBe(2);
    expect(p.distance!.n).toBe(4);
    expect(describeProfile(p).confidenceReference).toBe('held-out');
  });
});
