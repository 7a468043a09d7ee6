import { describe, expect, it } from 'vitest';
import { IntentOpsError } from '../errors.js';
import { expectedCalibrationError, reliabilityDiagram } from './index.js';

describe('expectedCalibrationError', () => {
  it('is 0 for a perfectly calibrated toy set', () => {
    // 0.75 -> 3 of 4 right; 0.25 -> 1 of 4 right (binary-exact values, so exactly 0)
    const conf = [0.75, 0.75, 0.75, 0.75, 0.25, 0.25, 0.25, 0.25];
    const ok = [true, true, true, false, true, false, false, false];
    expect(expectedCalibrationError(conf, ok, 10)).toBe(0);
    expect(expectedCalibrationError(conf, ok)).toBe(0);
  });

  it('matches a hand computation', () => {
    // 5 bins of width 0.2. 0.9,0.9 -> (0.8,1]: acc 1/2, conf 0.9 -> 2/5 * 0.4 = 0.16
    // 0.6,0.6 -> (0.4,0.6]: acc 1, conf 0.6 -> 2/5 * 0.4 = 0.16
    // 0.2     -> [0,0.2]:   acc 0, conf 0.2 -> 1/5 * 0.2 = 0.04        ECE = 0.36
    expect(expectedCalibrationError([0.9, 0.9, 0.6, 0.6, 0.2], [true, false, true, true, false], 5)).toBeCloseTo(0.36, 12);
  });

  it('is 1 for confident wrong answers and 0.5 for coin flips called certain', () => {
    expect(expectedCalibrationError([1, 1], [false, false])).toBe(1);
    expect(expectedCalibrationError([1, 1], [true, false])).toBe(0.5);
  });

  it('rejects values outside [0, 1] and bad bin counts', () => {
    expect(() => expectedCalibrationError([1.2], [true])).toThrow(/probability/);
    expect(() => expectedCalibrationError([0.5], [true], 0)).toThrow(IntentOpsError);
    expect(() => expectedCalibrationError([0.5], [true, false])).toThrow(IntentOpsError);
  });
});

describe('reliabilityDiagram', () => {
  it('puts edge values in the lower bin (bins are (lo, hi], the first includes 0)', () => {
    const bins = reliabilityDiagram([0.9, 0.9, 0.6, 0.6, 0.2], [true, false, true, true, false], 5);
    expect(bins.map((b) => b.count)).toEqual([1, 0, 2, 0, 2]);
    expect(bins[0]).toEqual({ lo: 0, hi: 0.2, count: 1, meanConfidence: 0.2, accuracy: 0 });
    expect(bins[1]).toEqual({ lo: 0.2, hi: 0.4, count: 0, meanConfidence: null, accuracy: null });
    expect(bins[2].accuracy).toBe(1);
    expect(bins[4].accuracy).toBe(0.5);
    expect(bins[4].meanConfidence).toBeCloseTo(0.9, 12);
  });

  it('bins values whose product with the bin count rounds across an edge', () => {
    // 0.14 * 50 = 7.000000000000001, yet 0.14 is the upper edge of bin 6, (0.12, 0.14];
    // likewise 0.56 * 50 = 28.000000000000004 belongs to bin 27. 0 and 1 go to the end bins.
    const bins = reliabilityDiagram([0.14, 0.56, 0, 1, 0.1400001], [true, true, true, true, true], 50);
    const nonEmpty = bins.flatMap((b, i) => (b.count > 0 ? [[i, b.count]] : []));
    expect(nonEmpty).toEqual([
      [0, 1],
      [6, 1],
      [7, 1],
      [27, 1],
      [49, 1],
    ]);
  });

  it('returns every bin, in order, with 15 by default', () => {
    const bins = reliabilityDiagram([0.5], [true]);
    expect(bins).toHaveLength(15);
    expect(bins[14].hi).toBe(1);
    expect(bins.reduce((s, b) => s + b.count, 0)).toBe(1);
  });
});
