import { useCallback, useEffect, useState } from 'preact/hooks';
import { num, pct } from '../format.js';
import { LOADING, load, Pending, type Loadable } from '../loadable.js';

/** What the panel shows of GET /v1/discover. */
export interface DiscoveryView {
  readonly items: { readonly clustered: number; readonly inClusters: number };
  readonly truncated?: string;
  readonly clusters: readonly {
    readonly id: string;
    readonly name: string;
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
                <b data-testid="discover-name">{c.name}</b> · {num(c.size)} messages ({num(c.items)} texts) · growth {c.growth.firstHalf}→{c.growth.lastHalf}
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
      {state.kind === 'ok' && state.value.truncated ? <p class="muted">{state.value.truncated}</p> : null}
    </section>
  );
}
