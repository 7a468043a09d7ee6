import { IntentOpsError } from '../errors.js';

/**
 * Average-linkage (UPGMA) agglomerative clustering on cosine distance, cut at a distance
 * threshold. Pure and deterministic (ties go to the lower index).
 *
 * Written here rather than taken from npm: the maintained library (ml-hclust, `agnes`) rebuilds
 * an n×n matrix on every merge, O(n³) time, which at the few thousand review items discovery
 * clusters is minutes; this is the nearest-neighbour-chain algorithm (Murtagh 1983), O(n²) time
 * over a condensed distance matrix of n(n−1)/2 doubles (5,000 items: 100 MB).
 */

/** One merge of the dendrogram, SciPy-style: clusters `a` and `b` (leaves 0…n−1, merge i is n+i). */
export interface Merge {
  readonly a: number;
  readonly b: number;
  /** Average cosine distance between the members of `a` and `b`. */
  readonly distance: number;
  /** Leaves under the merged cluster. */
  readonly size: number;
}

/** The default bound on the items clustered at once (memory: n(n−1)/2 doubles). */
export const MAX_CLUSTER_ITEMS = 5000;

/** Index of pair (i, j), i < j, in a condensed n×n distance matrix. */
function at(n: number, i: number, j: number): number {
  return i < j ? i * n - (i * (i + 1)) / 2 + (j - i - 1) : j * n - (j * (j + 1)) / 2 + (i - j - 1);
}

/**
 * Condensed cosine distances (1 − cos) between vectors; vectors are L2-normalised here, so they
 * need not be. A zero vector is at distance 1 from everything.
 */
export function cosineDistances(vectors: readonly Float32Array[]): Float64Array {
  const n = vectors.length;
  const unit = vectors.map((v) => {
    let s = 0;
    for (let i = 0; i < v.length; i++) s += v[i] * v[i];
    const norm = Math.sqrt(s);
    const u = new Float64Array(v.length);
    if (norm > 0) for (let i = 0; i < v.length; i++) u[i] = v[i] / norm;
    return u;
  });
  const d = new Float64Array((n * (n - 1)) / 2);
  let k = 0;
  for (let i = 0; i < n; i++) {
    const a = unit[i];
    for (let j = i + 1; j < n; j++) {
      const b = unit[j];
      if (b.length !== a.length) throw new IntentOpsError('invalid_input', `vectors ${i} and ${j} differ in length (${a.length} vs ${b.length})`, { where: 'clustering' });
      let dot = 0;
      for (let x = 0; x < a.length; x++) dot += a[x] * b[x];
      // rounding may push |cos| a hair above 1
      d[k++] = Math.min(2, Math.max(0, 1 - dot));
    }
  }
  return d;
}

/**
 * The average-linkage dendrogram of n points from their condensed distances (consumed: updated
 * in place). Merges are in the order the NN-chain finds them, not sorted by distance; average
 * linkage is monotone, so a merge's children never lie higher than it.
 */
export function averageLinkage(n: number, dist: Float64Array): Merge[] {
  if (dist.length !== (n * (n - 1)) / 2) throw new IntentOpsError('invalid_input', `a condensed matrix of ${n} points has ${(n * (n - 1)) / 2} entries, got ${dist.length}`, { where: 'clustering' });
  const active = new Uint8Array(n).fill(1);
  const size = new Float64Array(n).fill(1);
  const id = Int32Array.from({ length: n }, (_, i) => i);
  const merges: Merge[] = [];
  const chain: number[] = [];
  let firstActive = 0;
  while (merges.length < n - 1) {
    if (chain.length === 0) {
      while (!active[firstActive]) firstActive++;
      chain.push(firstActive);
    }
    let a: number;
    let b: number;
    for (;;) {
      a = chain[chain.length - 1];
      const prev = chain.length > 1 ? chain[chain.length - 2] : -1;
      // the previous element wins ties, so the chain always ends in a reciprocal pair
      let best = prev;
      let bestD = prev >= 0 ? dist[at(n, a, prev)] : Infinity;
      for (let k = 0; k < n; k++) {
        if (k === a || !active[k]) continue;
        const dk = dist[at(n, a, k)];
        if (dk < bestD) {
          bestD = dk;
          best = k;
        }
      }
      b = best;
      if (b === prev) break;
      chain.push(b);
    }
    chain.length -= 2;
    const lo = Math.min(a, b);
    const hi = Math.max(a, b);
    const dab = dist[at(n, lo, hi)];
    const na = size[lo];
    const nb = size[hi];
    merges.push({ a: Math.min(id[lo], id[hi]), b: Math.max(id[lo], id[hi]), distance: dab, size: na + nb });
    // Lance–Williams for average linkage: the merged cluster lives on in slot `lo`
    for (let k = 0; k < n; k++) {
      if (!active[k] || k === lo || k === hi) continue;
      dist[at(n, lo, k)] = (na * dist[at(n, lo, k)] + nb * dist[at(n, hi, k)]) / (na + nb);
    }
    active[hi] = 0;
    size[lo] = na + nb;
    id[lo] = n + merges.length - 1;
  }
  return merges;
}

/**
 * Flat clusters of the dendrogram cut at `maxDistance`: points joined by merges at or below it.
 * Returns each point's cluster as the smallest point index in it.
 */
export function cutAt(n: number, merges: readonly Merge[], maxDistance: number): Int32Array {
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const find = (x: number): number => {
    while (parent[x] !== x) x = parent[x] = parent[parent[x]];
    return x;
  };
  // any leaf under each dendrogram node stands for it
  const leaf = new Int32Array(n + merges.length);
  for (let i = 0; i < n; i++) leaf[i] = i;
  merges.forEach((m, i) => {
    leaf[n + i] = leaf[m.a];
    if (m.distance <= maxDistance) {
      const x = find(leaf[m.a]);
      const y = find(leaf[m.b]);
      if (x !== y) parent[Math.max(x, y)] = Math.min(x, y);
    }
  });
  const out = new Int32Array(n);
  // the root of each set is its smallest member (unions keep the smaller root)
  for (let i = 0; i < n; i++) out[i] = find(i);
  return out;
}

export interface ClusterOptions {
  /** Points joined when the average cosine similarity between their groups is at least this (−1…1). */
  readonly minSimilarity: number;
  /** Clusters with fewer points are dropped (their points are left unclustered). Default 2. */
  readonly minSize?: number;
  /** Refuse above this many points. Default MAX_CLUSTER_ITEMS. */
  readonly maxItems?: number;
}

/**
 * Groups vectors by average-linkage clustering on cosine distance, cut where the average
 * similarity between two groups falls below `minSimilarity`. Returns clusters of at least
 * `minSize` point indices (each ascending), largest first, ties by smallest index.
 *
 * @example
 *   clusterVectors([a, a2, b, b2].map(Float32Array.from), { minSimilarity: 0.5 }); // [[0, 1], [2, 3]]
 */
export function clusterVectors(vectors: readonly Float32Array[], o: ClusterOptions): number[][] {
  const max = o.maxItems ?? MAX_CLUSTER_ITEMS;
  const minSize = o.minSize ?? 2;
  if (!(o.minSimilarity >= -1 && o.minSimilarity <= 1)) throw new IntentOpsError('invalid_input', `minimum similarity must be from -1 to 1, got ${o.minSimilarity}`, { where: 'min-similarity' });
  if (!Number.isInteger(minSize) || minSize < 1) throw new IntentOpsError('invalid_input', `minimum cluster size must be an integer of at least 1, got ${minSize}`, { where: 'min-size' });
  const n = vectors.length;
  if (n > max) throw new IntentOpsError('invalid_input', `${n} items are more than the ${max} clustered at once`, { where: 'clustering', hint: 'narrow the selection (a shorter window, one reason) or sample it' });
  if (n === 0) return [];
  const roots = n === 1 ? new Int32Array([0]) : cutAt(n, averageLinkage(n, cosineDistances(vectors)), 1 - o.minSimilarity);
  const groups = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const g = groups.get(roots[i]);
    if (g) g.push(i);
    else groups.set(roots[i], [i]);
  }
  return [...groups.values()].filter((g) => g.length >= minSize).sort((x, y) => y.length - x.length || x[0] - y[0]);
}
