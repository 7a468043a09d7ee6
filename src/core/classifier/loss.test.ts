import { describe, expect, it } from 'vitest';
import { objective } from './loss.js';
import { featureMatrix } from './matrix.js';
import { zeroModel } from './model.js';
import { mulberry32 } from '../dataset/prng.js';

describe('objective gradient', () => {
  it('matches central finite differences on a small sparse problem', () => {
    const rnd = mulberry32(7);
    const dim = 6;
    const K = 3;
    const rows = Array.from({ length: 8 }, () => {
      const idx = [0, 1, 2, 3, 4, 5].filter(() => rnd() < 0.6);
      return { dense: new Float32Array(0), sparse: { indices: Int32Array.from(idx), values: Float32Array.from(idx, () => rnd() * 2 - 1) } };
    });
    const X = featureMatrix(rows, dim);
    const y = Int32Array.from({ length: 8 }, (_, i) => i % K);
    const cw = Float32Array.from([1, 2, 0.5]);
    const m = zeroModel(dim, K);
    for (let j = 0; j < m.weights.length; j++) m.weights[j] = rnd() - 0.5;
    for (let k = 0; k < K; k++) m.bias[k] = rnd() - 0.5;
    const grad = { weights: new Float64Array(dim * K), bias: new Float64Array(K) };
    const l2 = 0.1;
    objective(m, X, y, l2, cw, grad);
    const h = 1e-3;
    for (let j = 0; j < m.weights.length; j++) {
      const w0 = m.weights[j];
      m.weights[j] = w0 + h;
      const up = objective(m, X, y, l2, cw);
      m.weights[j] = w0 - h;
      const down = objective(m, X, y, l2, cw);
      m.weights[j] = w0;
      expect(grad.weights[j]).toBeCloseTo((up - down) / (2 * h), 3);
    }
    for (let k = 0; k < K; k++) {
      const b0 = m.bias[k];
      m.bias[k] = b0 + h;
      const up = objective(m, X, y, l2, cw);
      m.bias[k] = b0 - h;
      const down = objective(m, X, y, l2, cw);
      m.bias[k] = b0;
      expect(grad.bias[k]).toBeCloseTo((up - down) / (2 * h), 3);
    }
  });
});
