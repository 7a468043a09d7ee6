import { num, pct, when } from '../format.js';

export interface ModelsView {
  readonly current?: { readonly name: string; readonly version: string; readonly createdAt?: string; readonly embedder?: string; readonly labels?: number };
  readonly rollout?: {
    readonly mode: string;
    readonly share?: number;
    readonly champion?: string;
    readonly challenger?: string;
    readonly recommendation?: string;
    readonly detail?: string;
  };
  readonly runs: readonly { readonly id: string; readonly name?: string; readonly startedAt?: string; readonly metrics: Readonly<Record<string, number>> }[];
}

const SHOWN = ['valAccuracy', 'valCoverage', 'valAcceptedPrecision', 'testAccuracy', 'testMacroF1', 'testEce'];

export function Models({ view }: { view: ModelsView }) {
  const r = view.rollout;
  return (
    <section class="panel" data-testid="models">
      <h2>Models and rollout</h2>
      <p>
        serving <b data-testid="model-name">{view.current?.name ?? '–'}</b> version <code data-testid="model-version">{view.current?.version ?? '–'}</code>
        {view.current?.embedder ? ` · ${view.current.embedder}` : ''}
        {view.current?.labels ? ` · ${view.current.labels} intents` : ''}
      </p>
      {r ? (
        <p data-testid="rollout">
          rollout <b>{r.mode}</b>
          {r.share !== undefined && r.mode !== 'off' && r.mode !== 'shadow' ? ` (${pct(r.share, 0)} to the challenger)` : ''}
          {r.champion ? ` · champion ${r.champion}` : ''}
          {r.challenger ? ` · challenger ${r.challenger}` : ''}
          {r.recommendation ? (
            <>
              <br />
              A/B: <b>{r.recommendation}</b> {r.detail ?? ''}
            </>
          ) : null}
        </p>
      ) : (
        <p class="muted">Serving a model directory: no registry rollout.</p>
      )}
      <h3>Evaluation runs</h3>
      {view.runs.length ? (
        <table data-testid="runs">
          <thead>
            <tr>
              <th>run</th>
              <th>started</th>
              {SHOWN.map((m) => (
                <th key={m}>{m.replace(/([A-Z])/g, ' $1').toLowerCase()}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {view.runs.map((run) => (
              <tr key={run.id}>
                <td>
                  <code>{run.id.slice(0, 8)}</code> {run.name ?? ''}
                </td>
                <td>{when(run.startedAt)}</td>
                {SHOWN.map((m) => (
                  <td key={m} class="num">
                    {run.metrics[m] === undefined ? '–' : num(run.metrics[m], 4)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p class="muted">No tracked runs (tracking.uri).</p>
      )}
    </section>
  );
}
