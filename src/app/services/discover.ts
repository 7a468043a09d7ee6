import { MAX_CLUSTER_ITEMS } from '../../core/discovery/agglomerative.js';
import { discoverClusters, type DiscoveredCluster, type DiscoveryItem } from '../../core/discovery/discover.js';
import { IntentOpsError } from '../../core/errors.js';
import type { ClusterNamer } from '../../ports/cluster-namer.js';
import type { Embedder } from '../../ports/embedder.js';
import type { ReviewItem, ReviewQuery, ReviewReason } from '../../ports/review-store.js';
import { nameClusters, type NamingOptions, type NamingSummary } from './discover-naming.js';

/** The review label for "not one of our intents" (as ReviewService's OUT_OF_SCOPE). */
const OUT_OF_SCOPE = 'out_of_scope';

/** Review reasons clustered by default: every unsure or out-of-scope one; `audit` items are sure answers sampled for checking. */
export const DISCOVER_REASONS: readonly ReviewReason[] = Object.freeze(['out_of_scope', 'unfamiliar', 'low_confidence', 'low_margin', 'knn_disagrees', 'llm_none', 'llm_failed', 'llm_timeout', 'llm_budget']);

/** Defaults: clusters of at least 3 distinct messages, over the last 7 days, at most 5,000 items. */
export const DISCOVER_DEFAULTS = Object.freeze({ minSize: 3, maxItems: MAX_CLUSTER_ITEMS, windowMs: 7 * 86_400_000 });

/**
 * The default --min-similarity (average cosine similarity within a cluster) for an embedder, in
 * the space discovery clusters in: the embedder's dense vector, which for a combination such as
 * `hashed+onnx` is its second part's (the sentence encoder's), so a combination takes that part's
 * value. Measured by `npm run bench:discovery` (BANKING77 test messages: 60 draws of a review queue
 * holding 5 new intents of 37, 26, 22, 17 and 5 messages and 15 other messages; a cluster counts
 * when it is ≥ 80 % one new intent; 2026-12-07):
 * - `hashed` (its dense projection of the n-grams): 0.2 finds 4.43 ± 0.14 of the 5 intents with
 *   5.9 messages per queue in clusters of another intent; 0.15–0.35 find 4.08–4.43, and the rare
 *   one is found most often at 0.2 or below. The invented topics of the discovery tests (8 and 6
 *   paraphrases, 8 strays) are found whole at 0.2 too.
 * - `onnx` (MiniLM): 0.55 finds 4.47 ± 0.19 of 5 with 6.0 mislabelled, where 0.4 (the default
 *   before) found 3.18 with 21.6: one banking topic is near the next in this space, and a low cut
 *   merges neighbouring intents into one cluster, which a reviewer then labels as one. 0.6 scores
 *   a little higher there (4.65, 3.3) but dissolves the tests' invented loyalty-points topic into
 *   pieces under the minimum size; 0.55 keeps it as two pure clusters (whole up to 0.5).
 * - others (e.g. `openai`): 0.4, not measured on this data.
 */
export function defaultMinSimilarity(embedder: string): number {
  const space = embedder.split('+').at(-1)!.trim();
  if (space === 'hashed') return 0.2;
  if (space === 'onnx') return 0.55;
  return 0.4;
}

/** What discovery needs of the review queue (ReviewService fits). */
export interface DiscoverQueue {
  list(q: ReviewQuery): Promise<ReviewItem[]>;
  label(id: string, who: string, label: string, o?: { newIntent?: boolean }): Promise<ReviewItem>;
}

export interface DiscoverDeps {
  readonly queue: DiscoverQueue;
  /** The served model's embedder: clusters live in the space the model sees. */
  readonly embedder: Pick<Embedder, 'name' | 'embed'>;
  /** The model's intents: accepting a cluster as one of them labels it so, not as a new intent. */
  readonly labels: readonly string[];
  readonly now?: () => number;
  /** Suggests cluster names (the LLM, when one is configured); without it names come from distinctive terms. */
  readonly namer?: ClusterNamer;
  readonly naming?: NamingOptions;
}

export interface DiscoverQuery {
  /** Items seen within this many ms before now. Default 7 days. */
  readonly windowMs?: number;
  /** Only these review reasons. Default DISCOVER_REASONS. */
  readonly reasons?: readonly string[];
  readonly minSimilarity?: number;
  readonly minSize?: number;
  /** Above this many items, only the most recently seen this many are clustered (said in the report). */
  readonly maxItems?: number;
}

export interface DiscoveryReport {
  readonly generatedAt: string;
  readonly window: { readonly from: string; readonly to: string };
  readonly embedder: string;
  readonly params: { readonly minSimilarity: number; readonly minSize: number; readonly reasons: readonly string[]; readonly maxItems: number };
  readonly items: {
    /** Open review items in the queue. */
    readonly open: number;
    /** Of those, seen in the window with one of the reasons. */
    readonly selected: number;
    /** Clustered (the most recent maxItems when more were selected). */
    readonly clustered: number;
    /** In some cluster. */
    readonly inClusters: number;
  };
  /** Set when more items were selected than are clustered at once. */
  readonly truncated?: string;
  /** How the clusters were named: by the LLM (with calls and cost) or from distinctive terms. */
  readonly naming: NamingSummary;
  readonly clusters: readonly DiscoveredCluster[];
}

export interface ClusterAction {
  readonly cluster: DiscoveredCluster;
  readonly label: string;
  readonly newIntent: boolean;
  readonly labelled: readonly ReviewItem[];
  /** Members that could not be labelled (claimed or labelled by someone else meanwhile). */
  readonly failed: readonly { readonly id: string; readonly error: string }[];
}

const PAGE = 1000;

/**
 * Intent discovery: clusters the open review items (out-of-scope and unsure messages) in the
 * model's embedding space, so a reviewer sees "87 messages about loyalty points, doubling this
 * week" instead of 87 items; accepting a cluster labels its items as a (new) intent, which
 * `retrain` turns into a class; rejecting it labels them out of scope.
 *
 * @example
 *   const d = new DiscoverService({ queue: reviews, embedder: model.embedder, labels: model.labels });
 *   const report = await d.discover({ windowMs: 7 * 86_400_000 });
 *   await d.accept(report.clusters[0].id, 'loyalty_points', 'ana');
 */
export class DiscoverService {
  constructor(private readonly deps: DiscoverDeps) {}

  /** The clusters with their suggested names (the LLM asked when there is a namer). */
  async discover(q: DiscoverQuery = {}): Promise<DiscoveryReport> {
    const report = await this.cluster(q);
    if (!this.deps.namer) return report;
    const { clusters, summary } = await nameClusters(report.clusters, this.deps.labels, this.deps.namer, this.deps.naming);
    return { ...report, naming: summary, clusters };
  }

  /** The clusters named from their terms only (what accept and reject look a cluster up in: no LLM call). */
  private async cluster(q: DiscoverQuery): Promise<DiscoveryReport> {
    const p = params(q, this.deps.embedder.name);
    const to = this.deps.now?.() ?? Date.now();
    const from = to - p.windowMs;
    const open = await this.openItems();
    const wanted = new Set(p.reasons);
    const selected = open.filter((i) => wanted.has(i.reason) && Date.parse(i.lastSeenAt) >= from);
    // the most recent first, so a bound keeps the newest messages; ties by id for determinism
    const recent = [...selected].sort((a, b) => b.lastSeenAt.localeCompare(a.lastSeenAt) || a.id.localeCompare(b.id)).slice(0, p.maxItems);
    const items = recent.sort((a, b) => a.id.localeCompare(b.id));
    const embeddings = items.length ? await this.deps.embedder.embed(items.map((i) => i.text)) : [];
    const clusters = discoverClusters(items.map(asDiscoveryItem), embeddings.map((e) => e.dense), { minSimilarity: p.minSimilarity, minSize: p.minSize, from, to, maxItems: p.maxItems });
    return {
      generatedAt: new Date(to).toISOString(),
      window: { from: new Date(from).toISOString(), to: new Date(to).toISOString() },
      embedder: this.deps.embedder.name,
      params: { minSimilarity: p.minSimilarity, minSize: p.minSize, reasons: p.reasons, maxItems: p.maxItems },
      items: { open: open.length, selected: selected.length, clustered: items.length, inClusters: clusters.reduce((s, c) => s + c.items, 0) },
      naming: { source: 'terms', named: 0, fellBack: 0, calls: 0, costUsd: 0, maxClusters: 0 },
      ...(selected.length > items.length ? { truncated: `${selected.length} items selected, more than the ${p.maxItems} clustered at once: only the ${items.length} most recently seen were clustered (narrow --since or --reason, or raise --max-items)` } : {}),
      clusters,
    };
  }

  /**
   * Labels every open item of the cluster with `intent`: a new intent unless the model has it
   * already (then the cluster is messages the model failed to recognise as that intent).
   * The clustering is recomputed with `q`; an id no longer found fails with 'not_found'.
   */
  async accept(clusterId: string, intent: string, who: string, q: DiscoverQuery = {}): Promise<ClusterAction> {
    if (intent.trim().toLowerCase() === OUT_OF_SCOPE) throw new IntentOpsError('invalid_input', `${OUT_OF_SCOPE} is not an intent`, { where: '--intent', hint: 'mark a cluster out of scope with `discover reject`' });
    const newIntent = !this.deps.labels.includes(intent);
    return this.labelAll(await this.find(clusterId, q), intent, who, newIntent);
  }

  /** Labels every open item of the cluster out of scope (retraining learns it as such). */
  async reject(clusterId: string, who: string, q: DiscoverQuery = {}): Promise<ClusterAction> {
    return this.labelAll(await this.find(clusterId, q), OUT_OF_SCOPE, who, false);
  }

  private async find(clusterId: string, q: DiscoverQuery): Promise<DiscoveredCluster> {
    const report = await this.cluster(q);
    const c = report.clusters.find((x) => x.id === clusterId);
    if (!c) {
      const now = report.clusters.length ? `current clusters: ${report.clusters.slice(0, 10).map((x) => `${x.id} (${x.name})`).join(', ')}${report.clusters.length > 10 ? ', …' : ''}` : 'there are no clusters now';
      throw new IntentOpsError('not_found', `no cluster ${clusterId} with these settings (${now})`, {
        where: 'cluster',
        hint: 'a cluster id names its exact members: it changes when items arrive, leave the window or are labelled; run `intentops discover` again with the same --since, --reason, --min-similarity and --min-size',
      });
    }
    return c;
  }

  private async labelAll(cluster: DiscoveredCluster, label: string, who: string, newIntent: boolean): Promise<ClusterAction> {
    const labelled: ReviewItem[] = [];
    const failed: { id: string; error: string }[] = [];
    for (const [k, id] of cluster.memberIds.entries()) {
      try {
        labelled.push(await this.deps.queue.label(id, who, label, { newIntent }));
      } catch (e) {
        // a label the queue refuses (unusable name) is refused for all: nothing labelled yet
        if (k === 0) throw e;
        failed.push({ id, error: (e as Error).message });
      }
    }
    return { cluster, label, newIntent, labelled, failed };
  }

  private async openItems(): Promise<ReviewItem[]> {
    const all: ReviewItem[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.deps.queue.list({ state: 'open', limit: PAGE, ...(after ? { after } : {}) });
      all.push(...page);
      if (page.length < PAGE) return all;
      after = page[page.length - 1].id;
    }
  }
}

function params(q: DiscoverQuery, embedder: string) {
  const minSimilarity = q.minSimilarity ?? defaultMinSimilarity(embedder);
  const minSize = q.minSize ?? DISCOVER_DEFAULTS.minSize;
  const maxItems = q.maxItems ?? DISCOVER_DEFAULTS.maxItems;
  const windowMs = q.windowMs ?? DISCOVER_DEFAULTS.windowMs;
  if (!(minSimilarity >= -1 && minSimilarity <= 1)) throw new IntentOpsError('invalid_input', `--min-similarity must be from -1 to 1, got ${minSimilarity}`, { where: '--min-similarity' });
  if (!Number.isInteger(minSize) || minSize < 1) throw new IntentOpsError('invalid_input', `--min-size must be an integer of at least 1, got ${minSize}`, { where: '--min-size' });
  if (!Number.isInteger(maxItems) || maxItems < 1 || maxItems > MAX_CLUSTER_ITEMS) throw new IntentOpsError('invalid_input', `--max-items must be an integer from 1 to ${MAX_CLUSTER_ITEMS}, got ${maxItems}`, { where: '--max-items', hint: `clustering holds n²/2 distances in memory (${MAX_CLUSTER_ITEMS} items: 100 MB)` });
  if (!(windowMs > 0)) throw new IntentOpsError('invalid_input', `the window must be positive`, { where: '--since' });
  const reasons = q.reasons?.length ? [...q.reasons] : [...DISCOVER_REASONS];
  const known = new Set<string>([...DISCOVER_REASONS, 'audit', 'llm_check']);
  const bad = reasons.filter((r) => !known.has(r));
  if (bad.length) throw new IntentOpsError('invalid_input', `unknown review reason ${bad.map((b) => JSON.stringify(b)).join(', ')}`, { where: '--reason', hint: `use some of ${[...known].join(', ')}` });
  return { minSimilarity, minSize, maxItems, windowMs, reasons };
}

function asDiscoveryItem(i: ReviewItem): DiscoveryItem {
  return { id: i.id, text: i.text, reason: i.reason, guess: i.guess, count: i.count, createdAt: Date.parse(i.createdAt), lastSeenAt: Date.parse(i.lastSeenAt) };
}

/** `7d`, `24h`, `90m`, `2w` → milliseconds. */
export function parseWindow(s: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(m|h|d|w)\s*$/i.exec(s);
  if (!m || !(Number(m[1]) > 0)) throw new IntentOpsError('invalid_input', `--since must be a duration such as 7d, 24h, 90m or 2w, got ${JSON.stringify(s)}`, { where: '--since' });
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 }[m[2].toLowerCase() as 'm' | 'h' | 'd' | 'w'];
  return Number(m[1]) * unit;
}
