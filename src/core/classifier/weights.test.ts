import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../dataset/prng.js';
import { balancedClassWeights, fitAdam } from './adam.js';
import { featureMatrix } from './matrix.js';
import { logitsMatrix } from './model.js';
import { crossFitClassifier, TRAINING_DEFAULTS } from './train.js';

/** Rows of two features: the first says class 0, the second class 1, the third (shared) either. */
const row = (a: number, b: number, c: number) => ({ dense: Float32Array.of(a, b, c) });

describe('fitAdam with per-row weights', () => {
  // the same ambiguous message labelled 0 on 20 rows and 1 on 20 others: the weights decide
  const rows = [...Array.from({ length: 40 }, () => row(0, 0, 1)), ...Array.from({ length: 40 }, (_, i) => (i % 2 ? row(1, 0, 0) : row(0, 1, 0)))];
  const y = Int32Array.from(rows, (_, i) => (i < 40 ? (i < 20 ? 0 : 1) : i % 2 ? 0 : 1));
  const X = featureMatrix(rows, 3);
  const fitWith = (w0: number, w1: number) => {
    const w = Float32Array.from(rows, (_, i) => (i < 40 ? (i < 20 ? w0 : w1) : 1));
    const m = fitAdam(X, y, 2, { l2: 1e-6, learningRate: 0.05, batchSize: 8, maxEpochs: 30, patience: 3, random: mulberry32(1), sampleWeights: w }).model;
    const z = logitsMatrix(m, featureMatrix([row(0, 0, 1)], 3));
    return z[0] - z[1];
  };

  it('lets heavier rows win a conflict, and lighter rows lose it', () => {
    expect(fitWith(1, 0.2)).toBeGreaterThan(0.5);
    expect(fitWith(0.2, 1)).toBeLessThan(-0.5);
  });

  it('balances classes by their total row weight, keeping the overall weight', () => {
    const cw = balancedClassWeights([0, 0, 1, 1, 1, 1, 1], 2, [1, 1, 1, 0.5, 0.5, 0.5, 0.5]);
    expect(cw[0]).toBeCloseTo(1.25, 6); // 5 / (2 · 2)
    expect(cw[1]).toBeCloseTo(5 / 6, 6); // 5 / (2 · 3)
    expect(Array.from(balancedClassWeights([0, 0, 1, 1, 1, 1, 1], 2))).toEqual([7 / 4, 7 / 10].map(Math.fround));
  });

  it('refuses weights that do not match the rows', () => {
    expect(() => fitAdam(X, y, 2, { l2: 0, learningRate: 0.05, batchSize: 8, maxEpochs: 1, patience: 1, random: mulberry32(1), sampleWeights: new Float32Array(3) })).toThrow(/3 entries for 80 training rows/);
  });
});

/** Three noisy clusters; rows from `noisyFrom` on carry a wrong label with probability `noise` (LLM-like labels). */
function blobs(n: number, seed: number, noisyFrom: number, noise: number) {
  const rnd = mulberry32(seed);
  const centres = [
    [1, 0, 0, 0.5],
    [0, 1, 0, 0.5],
    [0, 0, 1, 0.5],
  ];
  const rows = [];
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    y[i] = i >= noisyFrom && rnd() < noise ? (c + 1) % 3 : c;
    const v = Float32Array.from(centres[c], (x) => x + (rnd() - 0.5) * 1.2);
    let ss = 0;
    for (const x of v) ss += x * x;
    rows.push({ dense: v.map((x) => x / Math.sqrt(ss)) });
  }
  return { X: featureMatrix(rows, 4), y };
}

describe('crossFitClassifier with a calibration mask', () => {
  const n = 900;
  const confirmed = 300;
  const { X, y } = blobs(n, 5, confirmed, 0.3);
  const folds = Int32Array.from({ length: n }, (_, i) => i % 5);
  const opts = () => ({ ...TRAINING_DEFAULTS, learningRate: 0.05, targetPrecision: 0.95, random: mulberry32(3) });
  const noNeighbours = (_t: number[], held: number[]) => held.map(() => []);
  const mask = Uint8Array.from({ length: n }, (_, i) => (i < confirmed ? 1 : 0));

  it('calibrates on the confirmed rows only, while every row trains the model', async () => {
    const masked = await crossFitClassifier({ classes: 3, all: { X, y, w: Float32Array.from({ length: n }, (_, i) => (i < confirmed ? 1 : 0.5)) }, folds, neighbours: noNeighbours, calibrate: mask }, opts());
    const everything = await crossFitClassifier({ classes: 3, all: { X, y }, folds, neighbours: noNeighbours }, opts());
    // the figures describe the 300 confirmed rows, not the 600 noisy ones
    expect(masked.validation.examples).toBe(confirmed);
    expect(masked.heldOut).toHaveLength(confirmed);
    expect(everything.validation.examples).toBe(n);
    // noisy labels count as errors when they calibrate: lower measured accuracy, stricter thresholds
    expect(masked.validation.accuracy).toBeGreaterThan(everything.validation.accuracy + 0.1);
    expect(masked.routing.coverage).toBeGreaterThan(everything.routing.coverage);
    // the served model still learnt from the machine rows: it differs from one fitted without them
    const confirmedOnly = await crossFitClassifier(
      { classes: 3, all: { X: { ...X, rows: confirmed, indptr: X.indptr.subarray(0, confirmed + 1) }, y: y.subarray(0, confirmed) }, folds: folds.subarray(0, confirmed), neighbours: noNeighbours },
      opts(),
    );
    expect(Buffer.from(masked.model.weights.buffer).equals(Buffer.from(confirmedOnly.model.weights.buffer))).toBe(false);
  });

  it('refuses a mask that leaves nothing to calibrate on', async () => {
    await expect(crossFitClassifier({ classes: 3, all: { X, y }, folds, neighbours: noNeighbours, calibrate: new Uint8Array(n) }, opts())).rejects.toThrow(/no confirmed labels/);
  });
});
