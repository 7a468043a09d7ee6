import { describe, expect, it } from 'vitest';
import { fitTemperature } from './temperature.js';
import { meanNll } from './loss.js';

describe('fitTemperature', () => {
  it('cools over-confident logits: the fitted T lowers validation NLL', () => {
    // 2 classes, logits ±4 but only 75 % right: over-confident, so T > 1
    const logits: number[] = [];
    const y: number[] = [];
    for (let i = 0; i < 100; i++) {
      logits.push(4, -4);
      y.push(i % 4 === 0 ? 1 : 0);
    }
    const z = Float32Array.from(logits);
    const T = fitTemperature(z, 2, y);
    expect(T).toBeGreaterThan(1);
    // optimum: sigmoid(8/T) = 0.75 → T = 8 / ln 3
    expect(T).toBeCloseTo(8 / Math.log(3), 3);
    expect(meanNll(z, 2, y, T)).toBeLessThan(meanNll(z, 2, y, 1));
  });
});
