import { fuse, knnDistribution, type FusionParams, type LabelledScore } from './knn.js';
import { CompiledLinear } from './compiled.js';
import type { LinearModel } from './model.js';
import { softmaxInto } from './softmax.js';
import type { SparseVector } from '../types.js';

/** Everything that turns features + neighbours into calibrated class probabilities. */
export interface Scorer {
  readonly model: LinearModel;
  readonly temperature: number;
  readonly fusion: FusionParams;
}

/**
 * Calibrated probabilities of one message: softmax(logits / T), then fused with the kNN
 * distribution of its neighbours (see knn.ts). Writes into `out` and returns it. The model is
 * compiled for the SIMD kernel on first use (compiled.ts): its weights must not change afterwards.
 */
export function posterior(s: Scorer, features: SparseVector | Float32Array, neighbours: readonly LabelledScore[], out = new Float64Array(s.model.classes)): Float64Array {
  CompiledLinear.of(s.model).logits(features, out);
  softmaxInto(out, out, s.temperature);
  if (s.fusion.alpha > 0 && neighbours.length > 0) {
    const pk = knnDistribution(neighbours, s.model.classes, s.fusion.tau);
    fuse(out, pk, s.fusion.alpha, out);
  }
  return out;
}
