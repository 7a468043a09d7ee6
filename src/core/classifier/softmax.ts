/** Numerically stable softmax of z / temperature, written into `out` (may alias z). */
export function softmaxInto(z: ArrayLike<number>, out: Float32Array | Float64Array, temperature = 1): void {
  const n = z.length;
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (z[i] > max) max = z[i];
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const e = Math.exp((z[i] - max) / temperature);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < n; i++) out[i] /= sum;
}

/** log Σ exp(z_i / T), stable. */
export function logSumExp(z: ArrayLike<number>, temperature = 1): number {
  let max = -Infinity;
  for (let i = 0; i < z.length; i++) if (z[i] > max) max = z[i];
  let sum = 0;
  for (let i = 0; i < z.length; i++) sum += Math.exp((z[i] - max) / temperature);
  return max / temperature + Math.log(sum);
}
