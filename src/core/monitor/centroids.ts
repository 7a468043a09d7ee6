import { quantile } from './stats.js';

/*
 * Class centroids in embedding space and the cosine distance of a message to the centroid of
 * its predicted class. Traffic the model has not seen sits farther from every centroid, even
 * when the classifier is still confident. The reference distances are leave-one-out (each
 * training example against its class centroid without itself), so they are what held-out text
 * would show rather than the optimistic distances of the very points that made the centroid.
 */

export interface Centroids {
  readonly classes: number;
  readonly dim: number;
  /** classes × dim, row-major; each row unit length (all zero for a class without examples). */
  readonly rows: Float32Array;
}

export interface DistanceStats {
  readonly n: number;
  readonly mean: number;
  readonly p50: number;
  readonly p95: number;
}

/**
 * Centroids of `vectors` grouped by `labels` (class ids in [0, classes)), and the statistics
 * of the leave-one-out cosine distances (classes with a single example contribute none).
 *
 * @example
 *   const { centroids, reference } = fitCentroids([a, b, c], [0, 0, 1], 2);
 *   centroidDistance(centroids, 0, v); // 1 − cos(v, mean(a, b))
 */
export function fitCentroids(vectors: readonly Float32Array[], labels: ArrayLike<number>, classes: number): { centroids: Centroids; reference: DistanceStats } {
  if (vectors.length !== labels.length) throw new RangeError(`${vectors.length} vectors but ${labels.length} labels`);
  const dim = vectors.length ? vectors[0].length : 0;
  const sums = new Float64Array(classes * dim);
  const counts = new Int32Array(classes);
  for (let i = 0; i < vectors.length; i++) {
    const c = labels[i];
    if (!(c >= 0 && c < classes)) continue;
    const v = vectors[i];
    if (v.length !== dim) throw new RangeError(`vector ${i} has length ${v.length}, expected ${dim}`);
    counts[c]++;
    for (let j = 0, o = c * dim; j < dim; j++) sums[o + j] += v[j];
  }
  const sumSq = new Float64Array(classes);
  for (let c = 0; c < classes; c++) {
    let s = 0;
    for (let j = 0, o = c * dim; j < dim; j++) s += sums[o + j] * sums[o + j];
    sumSq[c] = s;
  }
  // leave one out: |S − x|² = |S|² − 2 x·S + |x|², cos(x, S − x) = (x·S − |x|²) / (|x| |S − x|)
  const loo: number[] = [];
  for (let i = 0; i < vectors.length; i++) {
    const c = labels[i];
    if (!(c >= 0 && c < classes) || counts[c] < 2) continue;
    const v = vectors[i];
    let xs = 0;
    let xx = 0;
    for (let j = 0, o = c * dim; j < dim; j++) {
      xs += v[j] * sums[o + j];
      xx += v[j] * v[j];
    }
    const rest = Math.sqrt(Math.max(0, sumSq[c] - 2 * xs + xx));
    if (xx === 0 || rest === 0) continue;
    loo.push(1 - (xs - xx) / (Math.sqrt(xx) * rest));
  }
  const rows = new Float32Array(classes * dim);
  for (let c = 0; c < classes; c++) {
    const n = Math.sqrt(sumSq[c]);
    if (n === 0) continue;
    for (let j = 0, o = c * dim; j < dim; j++) rows[o + j] = sums[o + j] / n;
  }
  let mean = 0;
  for (const d of loo) mean += d;
  const reference = { n: loo.length, mean: loo.length ? mean / loo.length : Number.NaN, p50: quantile(loo, 0.5), p95: quantile(loo, 0.95) };
  return { centroids: { classes, dim, rows }, reference };
}

/** 1 − cosine(v, centroid of `label`); undefined for an unknown class, a class without examples, a zero vector or a wrong length. */
export function centroidDistance(c: Centroids, label: number, v: ArrayLike<number>): number | undefined {
  if (!(label >= 0 && label < c.classes) || v.length !== c.dim) return undefined;
  let dot = 0;
  let vv = 0;
  let rr = 0;
  for (let j = 0, o = label * c.dim; j < c.dim; j++) {
    const r = c.rows[o + j];
    dot += v[j] * r;
    vv += v[j] * v[j];
    rr += r * r;
  }
  if (vv === 0 || rr === 0) return undefined;
  return 1 - dot / Math.sqrt(vv * rr);
}
