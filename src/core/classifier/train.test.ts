import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../dataset/prng.js';
import { featureMatrix } from './matrix.js';
import { leaveIntentsOut, runFoldsHere, trainClassifier, TRAINING_DEFAULTS, type FoldRunner } from './train.js';

/** Three noisy, overlapping clusters in 8 dense dims: learnable but not perfectly. */
function blobs(n: number, seed: number) {
  const rnd = mulberry32(seed);
  const centres = [
    [1, 0, 0, 0, 0.5, 0, 0, 0],
    [0, 1, 0, 0, 0, 0.5, 0, 0],
    [0, 0, 1, 0, 0, 0, 0.5, 0],
  ];
  const rows = [];
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    y[i] = c;
    const v = Float32Array.from(centres[c], (x) => x + (rnd() - 0.5) * 1.6);
    let ss = 0;
    for (const x of v) ss += x * x;
    rows.push({ dense: v.map((x) => x / Math.sqrt(ss)) });
  }
  return { X: featureMatrix(rows, 8), y, rows };
}

describe('trainClassifier', () => {
  const train = blobs(600, 1);
  const val = blobs(300, 2);
  const run = (seed: number) =>
    trainClassifier(
      { classes: 3, train: { X: train.X, y: train.y }, val: { X: val.X, y: val.y, neighbours: val.rows.map(() => []) } },
      { ...TRAINING_DEFAULTS, learningRate: 0.05, random: mulberry32(seed), targetPrecision: 0.95 },
    );

  it('learns, calibrates and chooses thresholds that meet the target on validation', () => {
    const r = run(42);
    expect(r.validation.accuracy).toBeGreaterThan(0.8);
    expect(r.temperature).toBeGreaterThan(0);
    expect(r.routing.reachedTarget).toBe(true);
    expect(r.routing.precision).toBeGreaterThanOrEqual(0.95);
    expect(r.routing.coverage).toBeGreaterThan(0.3);
    expect(r.routing.coverage).toBeLessThan(1);
    expect(r.history.length).toBeGreaterThanOrEqual(r.bestEpoch);
  });

  it('is deterministic under a seed and changes with it', () => {
    const a = run(7);
    const b = run(7);
    const c = run(8);
    expect(Buffer.from(a.model.weights.buffer).equals(Buffer.from(b.model.weights.buffer))).toBe(true);
    expect(a.temperature).toBe(b.temperature);
    expect(Buffer.from(a.model.weights.buffer).equals(Buffer.from(c.model.weights.buffer))).toBe(false);
  });
});

describe('leaveIntentsOut', () => {
  it('scores every intent once as unknown, by a model that trained on the given share of each kept intent', async () => {
    // six intents of 40 examples in 8 dims (one-hot-ish centres)
    const rnd = mulberry32(5);
    const rows = [];
    const y = new Int32Array(240);
    for (let i = 0; i < 240; i++) {
      const c = i % 6;
      y[i] = c;
      const v = Float32Array.from({ length: 8 }, (_, j) => (j === c ? 1 : 0) + (rnd() - 0.5) * 0.8);
      rows.push({ dense: v });
    }
    const trained: number[] = [];
    const spy: FoldRunner = async (jobs, o) => {
      for (const j of jobs) trained.push(j.train.y.length);
      return runFoldsHere(jobs, o);
    };
    const samples = await leaveIntentsOut(
      {
        classes: 6,
        all: { X: featureMatrix(rows, 8), y },
        keep: new Set(),
        groups: 3,
        epochs: 3,
        temperature: 1,
        fusion: { k: 0, alpha: 0, tau: 0.1 },
        policy: { minConfidence: 0.5, minMargin: 0, requireKnnAgreement: false },
        trainShare: 0.5,
        neighbours: (r) => r.map(() => []),
      },
      { ...TRAINING_DEFAULTS, random: mulberry32(1) },
      spy,
    );
    expect(samples).toHaveLength(240);
    expect(samples.every((s) => s.unknown && s.knownClasses === 4)).toBe(true);
    for (let c = 0; c < 6; c++) expect(samples.filter((s) => s.intent === c)).toHaveLength(40);
    // 3 fits, each on half of the 40 examples of each of its 4 kept intents
    expect(trained).toEqual([80, 80, 80]);
  });
});
