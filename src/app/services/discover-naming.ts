import { createHash } from 'node:crypto';
import type { DiscoveredCluster } from '../../core/discovery/discover.js';
import { checkSuggestedName } from '../../core/discovery/naming.js';
import { LlmDeclined } from '../../ports/llm.js';
import type { ClusterNamer } from '../../ports/cluster-namer.js';

/** Clusters named by the LLM per discovery run at most (the largest first); the rest keep their terms. */
export const DEFAULT_MAX_NAMED = 20;
export const MAX_NAMED_LIMIT = 50;

/** What the report says about naming as a whole. */
export interface NamingSummary {
  /** llm: an LLM was asked (some names may still come from terms); terms: no LLM configured. */
  readonly source: 'llm' | 'terms';
  readonly named: number;
  /** Clusters whose LLM suggestion was refused or failed, or that were past maxClusters. */
  readonly fellBack: number;
  readonly calls: number;
  readonly costUsd: number;
  readonly maxClusters: number;
}

/**
 * Suggestions by cluster id (the id names the exact members) and intent list, so a dashboard
 * refreshing the same clusters does not pay for the same names again. Bounded, least recently used out.
 */
export class ClusterNameCache {
  private readonly entries = new Map<string, { name: string; model: string }>();
  constructor(readonly max = 1000) {}
  get(key: string): { name: string; model: string } | undefined {
    const v = this.entries.get(key);
    if (v) {
      this.entries.delete(key);
      this.entries.set(key, v);
    }
    return v;
  }
  set(key: string, v: { name: string; model: string }): void {
    this.entries.delete(key);
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, v);
  }
}

export interface NamingOptions {
  readonly maxClusters?: number;
  readonly cache?: ClusterNameCache;
  readonly onError?: (e: unknown) => void;
}

/**
 * Asks `namer` for a name for each of the first `maxClusters` clusters (in report order, largest
 * first; calls run together, the adapter caps how many are in flight) and keeps a suggestion
 * only when checkSuggestedName accepts it against the model's intents and the names of the
 * clusters before it; a cluster whose suggestion is refused, whose call fails or that is past
 * the cap keeps its name from the distinctive terms, and `naming` says why.
 */
export async function nameClusters(clusters: readonly DiscoveredCluster[], labels: readonly string[], namer: ClusterNamer, o: NamingOptions = {}): Promise<{ clusters: DiscoveredCluster[]; summary: NamingSummary }> {
  const maxClusters = o.maxClusters ?? DEFAULT_MAX_NAMED;
  const intentsKey = createHash('sha256').update([...labels].sort().join('\n')).digest('hex').slice(0, 12);
  let calls = 0;
  let costUsd = 0;
  const asked = clusters.slice(0, maxClusters).map(async (c) => {
    const key = `${c.id}/${intentsKey}`;
    const hit = o.cache?.get(key);
    if (hit) return { ok: true as const, name: hit.name, model: hit.model, costUsd: 0, latencyMs: 0, cached: true };
    try {
      calls++;
      const a = await namer.nameCluster({ representatives: c.representatives.map((r) => r.text), terms: c.terms, existingIntents: labels, requestId: c.id });
      costUsd += a.usage.costUsd;
      o.cache?.set(key, { name: a.name, model: a.model });
      return { ok: true as const, name: a.name, model: a.model, costUsd: a.usage.costUsd, latencyMs: a.latencyMs, cached: false };
    } catch (e) {
      if (e instanceof LlmDeclined) calls--;
      else o.onError?.(e);
      const cost = (e as { usage?: { costUsd?: number } }).usage?.costUsd ?? 0;
      costUsd += cost;
      return { ok: false as const, why: e instanceof LlmDeclined ? `not asked: ${e.message}` : `the LLM call failed: ${(e as Error).message}`, costUsd: cost };
    }
  });
  const answers = await Promise.all(asked);
  const taken: string[] = [];
  let named = 0;
  const out = clusters.map((c, i): DiscoveredCluster => {
    const a = answers[i];
    if (a === undefined) return { ...c, naming: { by: 'terms', why: `past the ${maxClusters} largest clusters the LLM names per run (llm.naming.maxClusters)` } };
    if (!a.ok) return { ...c, naming: { by: 'terms', why: a.why, ...(a.costUsd ? { costUsd: a.costUsd } : {}) } };
    const check = checkSuggestedName(a.name, labels, taken);
    if (!check.ok) return { ...c, naming: { by: 'terms', why: `the LLM's suggestion was refused: ${check.why}`, suggested: a.name.slice(0, 80), costUsd: a.costUsd } };
    taken.push(check.name);
    named++;
    return { ...c, name: check.name, nameSource: 'llm', naming: { by: 'llm', model: a.model, costUsd: a.costUsd, latencyMs: a.latencyMs, ...(a.cached ? { cached: true as const } : {}) } };
  });
  return { clusters: out, summary: { source: 'llm', named, fellBack: clusters.length - named, calls, costUsd, maxClusters } };
}
