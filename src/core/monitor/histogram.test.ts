import { describe, expect, it } from 'vitest';
import { CONFIDENCE_BINS, CONFIDENCE_EDGES, confidenceBin, confidenceHistogram, readConfidenceHistogram } from './histogram.js';

describe('confidence bins', () => {
  it('puts each value in the bin whose lower edge it reaches', () => {
    expect(confidenceBin(0)).toBe(0);
    expect(confidenceBin(0.013)).toBe(0);
    expect(confidenceBin(0.2)).toBe(1);
    expect(confidenceBin(0.849)).toBe(7);
    expect(confidenceBin(0.85)).toBe(8);
    expect(confidenceBin(0.985)).toBe(11);
    expect(confidenceBin(1)).toBe(CONFIDENCE_BINS - 1);
    expect(confidenceBin(Number.NaN)).toBe(0);
    expect(confidenceBin(1.5)).toBe(CONFIDENCE_BINS - 1);
  });

  it('counts a histogram', () => {
    const h = confidenceHistogram([0.1, 0.95, 0.951, 0.999, 0.5]);
    expect(h.reduce((a, b) => a + b)).toBe(5);
    expect(h[0]).toBe(1);
    expect(h[4]).toBe(1);
    expect(h[10]).toBe(2);
    expect(h[12]).toBe(1);
  });

  it('reads a recorded histogram only when it uses the same bins and holds counts', () => {
    const counts = confidenceHistogram([0.5, 0.9, 0.99]);
    expect(readConfidenceHistogram({ edges: [...CONFIDENCE_EDGES], counts })).toEqual(counts);
    expect(readConfidenceHistogram({ edges: [0, 0.5], counts: [1, 2] })).toBeUndefined();
    expect(readConfidenceHistogram({ edges: [...CONFIDENCE_EDGES], counts: counts.map(() => 0) })).toBeUndefined();
    expect(readConfidenceHistogram({ edges: [...CONFIDENCE_EDGES], counts: counts.map((c, i) => (i === 2 ? -1 : c)) })).toBeUndefined();
    expect(readConfidenceHistogram(undefined)).toBeUndefined();
  });
});
