import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../dataset/prng.js';
import { accuracyOfLogits, fitAdam, type AdamOptions } from './adam.js';
import { wasmModule } from './kernels-wasm.js';
import { featureMatrix } from './matrix.js';
import { logitsMatrix } from './model.js';

/** Hashed-text-like data: 5 classes, each with its own pool of sparse features plus shared noise. */
function data(n: number, seed: number, dim = 4000) {
  const rnd = mulberry32(seed);
  const rows = [];
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 5;
    y[i] = c;
    const idx = new Set<number>();
    while (idx.size < 12) idx.add(rnd() < 0.6 ? c * 300 + Math.floor(rnd() * 300) : 1500 + Math.floor(rnd() * 2000));
    const indices = Int32Array.from(idx);
    const values = Float32Array.from(indices, () => rnd() + 0.1);
    rows.push({ dense: new Float32Array(0), sparse: { indices, values } });
  }
  return { X: featureMatrix(rows, dim), y };
}

const options = (seed: number, extra: Partial<AdamOptions> = {}): AdamOptions => ({
  l2: 1e-5,
  learningRate: 0.02,
  batchSize: 16,
  maxEpochs: 6,
  patience: 2,
  random: mulberry32(seed),
  ...extra,
});

const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('fitAdam', () => {
  const train = data(600, 1);
  const val = data(200, 2);

  it('learns, keeps the best epoch, and leaves the rows of unseen features at zero', () => {
    const r = fitAdam(train.X, train.y, 5, options(1), val);
    expect(accuracyOfLogits(logitsMatrix(r.model, val.X), 5, val.y)).toBeGreaterThan(0.9);
    expect(r.history.length).toBeGreaterThanOrEqual(r.bestEpoch);
    expect(r.model.weights.length).toBe(4000 * 5);
    const seen = new Set(train.X.indices);
    for (let f = 3500; f < 4000; f++) {
      if (seen.has(f)) continue;
      for (let k = 0; k < 5; k++) expect(r.model.weights[f * 5 + k]).toBe(0);
    }
  });

  it('is deterministic under a seed: byte-identical weights, and different ones for another seed', () => {
    const a = fitAdam(train.X, train.y, 5, options(7), val);
    const b = fitAdam(train.X, train.y, 5, options(7), val);
    const c = fitAdam(train.X, train.y, 5, options(8), val);
    expect(bytes(a.model.weights).equals(bytes(b.model.weights))).toBe(true);
    expect(bytes(a.model.bias).equals(bytes(b.model.bias))).toBe(true);
    expect(bytes(a.model.weights).equals(bytes(c.model.weights))).toBe(false);
  });

  it.skipIf(wasmModule(8) === null)('gives the same bits with the WebAssembly and the JS kernels', () => {
    const a = fitAdam(train.X, train.y, 5, options(3, { classWeights: Float32Array.from([1, 2, 1, 0.5, 1]) }), val);
    const b = fitAdam(train.X, train.y, 5, options(3, { classWeights: Float32Array.from([1, 2, 1, 0.5, 1]), kernels: 'js' }), val);
    expect(bytes(a.model.weights).equals(bytes(b.model.weights))).toBe(true);
    expect(bytes(a.model.bias).equals(bytes(b.model.bias))).toBe(true);
    expect(a.history).toEqual(b.history);
  });

  it('refuses feature indices outside the model, in training or validation rows', () => {
    const bad = { ...val.X, indices: val.X.indices.map((f, q) => (q === 5 ? 4000 : f)) };
    expect(() => fitAdam(train.X, train.y, 5, options(1), { X: bad, y: val.y })).toThrow(/validation features: index 4000 at entry 5/);
    const neg = { ...train.X, indices: train.X.indices.map((f, q) => (q === 0 ? -1 : f)) };
    expect(() => fitAdam(neg, train.y, 5, options(1))).toThrow(/training features: index -1/);
  });

  it('runs exactly maxEpochs without validation and hands onEpoch the current model', () => {
    const seen: number[] = [];
    const r = fitAdam(train.X, train.y, 5, {
      ...options(4, { maxEpochs: 3 }),
      onEpoch: (e, m) => {
        seen.push(e.epoch);
        expect(m.weights.length).toBe(4000 * 5);
        expect(m.weights.some((w) => w !== 0)).toBe(true);
      },
    });
    expect(seen).toEqual([1, 2, 3]);
    expect(r.bestEpoch).toBe(3);
    expect(r.history.every((h) => h.valLoss === null)).toBe(true);
    expect(r.history[2].trainLoss).toBeLessThan(r.history[0].trainLoss);
  });

  it('scores rows from the compact weights to the same bits as the full matrix, with and without validation', () => {
    for (const r of [fitAdam(train.X, train.y, 5, options(5), val), fitAdam(train.X, train.y, 5, options(5, { maxEpochs: 2 }))]) {
      const fast = r.logits(val.X);
      expect(bytes(fast)).toEqual(bytes(logitsMatrix(r.model, val.X)));
      expect(bytes(r.logits(train.X))).toEqual(bytes(logitsMatrix(r.model, train.X)));
    }
  });

  it('builds the full weight matrix only when it is read, once', () => {
    const r = fitAdam(train.X, train.y, 5, options(6), val);
    const desc = Object.getOwnPropertyDescriptor(r.model, 'weights');
    expect(desc?.get).toBeTypeOf('function');
    const w = r.model.weights;
    expect(w.length).toBe(4000 * 5);
    expect(r.model.weights).toBe(w);
  });
});
