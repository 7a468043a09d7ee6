/**
 * kNN evidence and how it is combined with the logistic-regression probabilities.
 *
 * The rule (documented in README, tuned on validation by `tuneFusion`):
 *   p_knn(c) = Σ_{j ∈ top-k, label_j = c} exp(s_j / τ) / Σ_{j ∈ top-k} exp(s_j / τ)
 *   p(c)     = (1 − α) · p_lr(c) + α · p_knn(c)
 * where s_j is the cosine similarity of neighbour j. α = 0 switches kNN evidence off.
 */
export interface FusionParams {
  readonly k: number;
  readonly alpha: number;
  readonly tau: number;
}

export interface LabelledScore {
  readonly label: number;
  readonly score: number;
}

export function knnDistribution(neighbours: readonly LabelledScore[], classes: number, tau: number, out = new Float64Array(classes)): Float64Array {
  out.fill(0);
  if (neighbours.length === 0) return out;
  let max = -Infinity;
  for (const n of neighbours) if (n.score > max) max = n.score;
  let sum = 0;
  for (const n of neighbours) {
    const w = Math.exp((n.score - max) / tau);
    out[n.label] += w;
    sum += w;
  }
  for (let c = 0; c < classes; c++) out[c] /= sum;
  return out;
}

/** p = (1 − α) · pLr + α · pKnn, in place into `pLr`'s copy `out`. */
export function fuse(pLr: ArrayLike<number>, pKnn: ArrayLike<number>, alpha: number, out: Float64Array | Float32Array): void {
  for (let c = 0; c < out.length; c++) out[c] = (1 - alpha) * pLr[c] + alpha * pKnn[c];
}

/**
 * Grid search of α and τ minimising validation NLL of the fused distribution.
 * `probs` is n × classes (already temperature-scaled), `neighbours[i]` the top-k of example i.
 */
export function tuneFusion(
  probs: Float32Array,
  classes: number,
  neighbours: readonly (readonly LabelledScore[])[],
  y: ArrayLike<number>,
  k: number,
  alphas: readonly number[] = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
  taus: readonly number[] = [0.02, 0.05, 0.1],
): FusionParams & { nll: number } {
  let best = { k, alpha: 0, tau: taus[0], nll: Infinity };
  const pk = new Float64Array(classes);
  for (const tau of taus) {
    for (const alpha of alphas) {
      let nll = 0;
      for (let i = 0; i < y.length; i++) {
        knnDistribution(neighbours[i].slice(0, k), classes, tau, pk);
        const p = (1 - alpha) * probs[i * classes + y[i]] + alpha * pk[y[i]];
        nll -= Math.log(Math.max(p, 1e-12));
      }
      nll /= y.length;
      if (nll < best.nll - 1e-9) best = { k, alpha, tau, nll };
    }
  }
  return best;
}
