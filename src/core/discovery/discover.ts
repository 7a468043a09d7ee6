import { createHash } from 'node:crypto';
import { clusterVectors } from './agglomerative.js';
import { distinctiveTerms, nameFromTerms } from './terms.js';

/** A message waiting for review, as discovery sees it. */
export interface DiscoveryItem {
  readonly id: string;
  readonly text: string;
  readonly reason: string;
  /** The model's best guess. */
  readonly guess: string;
  /** Messages the item stands for (repeats of the same text). */
  readonly count: number;
  /** First and latest message, epoch ms. */
  readonly createdAt: number;
  readonly lastSeenAt: number;
}

export interface DiscoverParams {
  readonly minSimilarity: number;
  /** Fewest distinct items (texts) in a cluster. */
  readonly minSize: number;
  /** The window the items were taken from, epoch ms (for growth). */
  readonly from: number;
  readonly to: number;
  /** Representative messages per cluster. Default 3. */
  readonly representatives?: number;
  readonly maxItems?: number;
}

export interface DiscoveredCluster {
  /** Stable while the membership is: a hash of the sorted member item ids. */
  readonly id: string;
  /**
   * Suggested intent name: the LLM's when one is configured and its suggestion passed the checks
   * (naming.ts), else snake_case of the distinctive terms, else `cluster_<id>`.
   */
  readonly name: string;
  /** Where `name` came from. */
  readonly nameSource: 'llm' | 'terms' | 'id';
  /** The LLM's part in the name: the model and cost when it named the cluster, else why its suggestion was not used. Absent without an LLM. */
  readonly naming?: ClusterNaming;
  readonly terms: readonly string[];
  /** Distinct review items. */
  readonly items: number;
  /** Messages, repeats included (the sum of the items' counts). */
  readonly size: number;
  /**
   * Messages in the first and the last half of the window (an item's first message at its
   * creation, its repeats at its last sighting) and last / first (null when the first half had none).
   */
  readonly growth: { readonly firstHalf: number; readonly lastHalf: number; readonly ratio: number | null };
  /** The most central messages (closest to the cluster's mean direction). */
  readonly representatives: readonly { readonly id: string; readonly text: string }[];
  /** Share of the messages by review reason, largest first. */
  readonly reasons: Readonly<Record<string, number>>;
  /** The model's most common best guess and its share of the messages. */
  readonly topGuess: { readonly intent: string; readonly share: number };
  /** Mean cosine similarity of the members to their mean direction. */
  readonly cohesion: number;
  readonly memberIds: readonly string[];
}

export type ClusterNaming =
  | { readonly by: 'llm'; readonly model: string; readonly costUsd: number; readonly latencyMs: number; readonly cached?: true }
  | { readonly by: 'terms'; readonly why: string; readonly suggested?: string; readonly costUsd?: number };

/** Stable id of a set of review items. */
export function clusterId(memberIds: readonly string[]): string {
  const h = createHash('sha256');
  for (const id of [...memberIds].sort()) h.update(`${id}\n`);
  return `c-${h.digest('hex').slice(0, 10)}`;
}

/**
 * Clusters the items by their embeddings and describes each cluster: size, growth, central
 * messages, reasons, the model's guess and a name from distinctive terms. Pure; deterministic
 * for the same items in the same order.
 */
export function discoverClusters(items: readonly DiscoveryItem[], vectors: readonly Float32Array[], p: DiscoverParams): DiscoveredCluster[] {
  const groups = clusterVectors(vectors, { minSimilarity: p.minSimilarity, minSize: p.minSize, maxItems: p.maxItems });
  const terms = distinctiveTerms(
    items.map((i) => i.text),
    groups,
  );
  const mid = p.from + (p.to - p.from) / 2;
  const clusters = groups.map((g, gi) => {
    const members = g.map((i) => items[i]);
    const memberIds = members.map((m) => m.id).sort();
    const id = clusterId(memberIds);
    const size = members.reduce((s, m) => s + m.count, 0);
    let firstHalf = 0;
    let lastHalf = 0;
    const at = (t: number, n: number) => {
      if (t < p.from || t > p.to || n <= 0) return;
      if (t < mid) firstHalf += n;
      else lastHalf += n;
    };
    for (const m of members) {
      at(m.createdAt, 1);
      at(m.lastSeenAt, m.count - 1);
    }
    const centre = meanDirection(g.map((i) => vectors[i]));
    const sims = g.map((i) => cosine(vectors[i], centre));
    const order = g.map((_, k) => k).sort((x, y) => sims[y] - sims[x] || (members[x].id < members[y].id ? -1 : 1));
    const reps: { id: string; text: string }[] = [];
    const seen = new Set<string>();
    for (const k of order) {
      const key = members[k].text.trim().toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      reps.push({ id: members[k].id, text: members[k].text });
      if (reps.length === (p.representatives ?? 3)) break;
    }
    const fromTerms = nameFromTerms(terms[gi]);
    return {
      id,
      name: fromTerms ?? `cluster_${id.slice(2)}`,
      nameSource: fromTerms ? ('terms' as const) : ('id' as const),
      terms: terms[gi].map((t) => t.term),
      items: members.length,
      size,
      growth: { firstHalf, lastHalf, ratio: firstHalf > 0 ? lastHalf / firstHalf : null },
      representatives: reps,
      reasons: shares(members, (m) => m.reason, size),
      topGuess: top(shares(members, (m) => m.guess, size)),
      cohesion: sims.reduce((s, x) => s + x, 0) / sims.length,
      memberIds,
    };
  });
  return clusters.sort((a, b) => b.size - a.size || b.items - a.items || (a.id < b.id ? -1 : 1));
}

function shares(members: readonly DiscoveryItem[], key: (m: DiscoveryItem) => string, total: number): Record<string, number> {
  const c = new Map<string, number>();
  for (const m of members) c.set(key(m), (c.get(key(m)) ?? 0) + m.count);
  const sorted = [...c].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return Object.fromEntries(sorted.map(([k, n]) => [k, n / total]));
}

function top(s: Record<string, number>): { intent: string; share: number } {
  const [intent, share] = Object.entries(s)[0];
  return { intent, share };
}

function meanDirection(vs: readonly Float32Array[]): Float64Array {
  const c = new Float64Array(vs[0].length);
  for (const v of vs) {
    let s = 0;
    for (let i = 0; i < v.length; i++) s += v[i] * v[i];
    const n = Math.sqrt(s) || 1;
    for (let i = 0; i < v.length; i++) c[i] += v[i] / n;
  }
  return c;
}

function cosine(a: Float32Array, b: Float64Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}
