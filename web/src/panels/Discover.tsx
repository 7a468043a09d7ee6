import { useCallback, useEffect, useState } from 'preact/hooks';
import { num, pct } from '../format.js';
import { LOADING, load, Pending, type Loadable } from '../loadable.js';

/** What the panel shows of GET /v1/discover. */
export interface DiscoveryView {
  readonly items: { readonly clustered: number; readonly inClusters: number };
  readonly truncated?: string;
  /** Absent from servers before cluster naming by the LLM. */
  readonly naming?: { readonly source: 'llm' | 'terms'; readonly named: number; readonly calls: number; readonly costUsd: number };
  readonly clusters: readonly {
    readonly id: string;
    readonly name: string;
    /** Who suggested the name: the LLM, the distinctive terms, or the id (no terms). */
    readonly nameSource?: 'llm' | 'terms' | 'id';
    /** The LLM's part: the model, or why its suggestion was not used. */
    readonly naming?: { readonly by: 'llm'; readonly model: string } | { readonly by: 'terms'; readonly why: string };
    readonly terms?: readonly string[];
    readonly size: number;
    readonly items: number;
    readonly growth: { readonly firstHalf: number; readonly lastHalf: number; readonly ratio: number | null };
    readonly representatives: readonly { readonly id: string; readonly text: string }[];
    readonly topGuess: { readonly intent: string; readonly share: number };
  }[];
}

const SHOWN = 6;

/**
 * Intent discovery: clusters of the out-of-scope and unsure messages waiting for review (last 7
 * days). Clustering costs the server CPU, so it loads once and on request, not on every refresh;
 * verdicts are `intentops discover accept|reject` (shown per cluster).
 */
export function Discover({ enabled }: { enabled: boolean | undefined }) {
  const [state, setState] = useState<Loadable<DiscoveryView>>(LOADING);
  const refresh = useCallback(async () => setState(await load<DiscoveryView>(enabled, '/v1/discover?since=7d')), [enabled]);
  useEffect(() => void refresh(), [refresh]);
  return (
    <section class="panel wide" data-testid="discover">
      <h2>
        New topics (last 7 days){' '}
        <button type="button" onClick={() => void refresh()}>
          recluster
        </button>
      </h2>
      {state.kind !== 'ok' ? (
        <Pending state={state} what="the clusters" off="No review store on this server (review.uri is none)." />
      ) : state.value.clusters.length === 0 ? (
        <p class="ok-text">No clusters among {num(state.value.items.clustered)} open review items.</p>
      ) : (
        <ul class="review">
          {state.value.clusters.slice(0, SHOWN).map((c) => (
            <li key={c.id} data-testid="discover-cluster" data-id={c.id}>
              <div>
                <b data-testid="discover-name">{c.name}</b>{' '}
                <span class="muted" data-testid="discover-name-source" title={c.naming?.by === 'terms' ? c.naming.why : c.terms?.length ? `distinctive terms: ${c.terms.join(', ')}` : undefined}>
                  ({nameSource(c)})
                </span>{' '}
                · {num(c.size)} messages ({num(c.items)} texts) · growth {c.growth.firstHalf}→{c.growth.lastHalf}
                {c.growth.ratio === null ? '' : ` ×${c.growth.ratio.toFixed(1)}`} · model guesses {c.topGuess.intent} {pct(c.topGuess.share)}
              </div>
              {c.representatives.map((m) => (
                <div key={m.id} class="review-text">
                  “{m.text}”
                </div>
              ))}
              <div class="muted">
                <code>intentops discover accept {c.id} --intent {c.name}</code> or <code>intentops discover reject {c.id}</code>
              </div>
            </li>
          ))}
        </ul>
      )}
      {state.kind === 'ok' && state.value.clusters.length > 0 && state.value.naming?.source === 'llm' ? (
        <p class="muted" data-testid="discover-naming">
          {num(state.value.naming.named)} of {num(state.value.clusters.length)} named by the LLM ({num(state.value.naming.calls)} call(s) this time)
        </p>
      ) : null}
      {state.kind === 'ok' && state.value.truncated ? <p class="muted">{state.value.truncated}</p> : null}
    </section>
  );
}

/** "named by the LLM (gpt-4o-mini)", "from terms", "LLM's name refused; from terms". */
function nameSource(c: DiscoveryView['clusters'][number]): string {
  if (c.nameSource === 'llm' && c.naming?.by === 'llm') return `named by the LLM, ${c.naming.model}`;
  if (c.nameSource === 'id') return 'no distinctive terms';
  return c.naming?.by === 'terms' ? 'from terms; LLM name not used' : 'from terms';
}
