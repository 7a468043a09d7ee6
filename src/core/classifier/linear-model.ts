/**
 * Multinomial logistic regression: logits = xW + b. W is stored feature-major
 * (W[f * classes + k]) so a sparse row touches contiguous memory.
 */
export interface LinearModel {
  readonly dim: number;
  readonly classes: number;
  readonly weights: Float32Array;
  readonly bias: Float32Array;
}
