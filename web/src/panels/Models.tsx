import { num, pct, when } from '../format.js';
import { Pending, type Loadable } from '../loadable.js';

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
}

/** One tracked run as GET /v1/runs gives it. */
export interface RunRow {
  readonly id: string;
  readonly name?: string;
  readonly status?: string;
  readonly startedAt?: string;
  readonly error?: string | null;
  readonly metrics: Readonly<Record<string, number>>;
}

/** Short headers (the table must fit its card), the full meaning on hover. */
const COLUMNS: readonly { key: string; head: string; title: string; kind: 'share' | 'ece' }[] = [
  { key: 'valAccuracy', head: 'val acc', title: 'accuracy on the validation data', kind: 'share' },
  { key: 'valCoverage', head: 'coverage', title: 'share of validation messages accepted at the bundle thresholds', kind: 'share' },
  { key: 'valAcceptedPrecision', head: 'acc. prec.', title: 'precision on the accepted validation messages', kind: 'share' },
  { key: 'testAccuracy', head: 'test acc', title: 'accuracy on the test data (intentops eval)', kind: 'share' },
  { key: 'testMacroF1', head: 'macro-F1', title: 'macro-averaged F1 on the test data (intentops eval)', kind: 'share' },
  { key: 'testEce', head: 'ECE', title: 'expected calibration error on the test data (intentops eval); lower is better', kind: 'ece' },
];

const cell = (v: number | undefined, kind: 'share' | 'ece') => (v === undefined ? '–' : kind === 'share' ? pct(v) : num(v, 3));

export function Models({ current, rollout, runs }: { current: Loadable<NonNullable<ModelsView['current']>>; rollout: Loadable<ModelsView['rollout']>; runs: Loadable<readonly RunRow[]> }) {
  const c = current.kind === 'ok' ? current.value : undefined;
  return (
    <section class="panel" data-testid="models">
      <h2>Models and rollout</h2>
      {c ? (
        <p>
          serving <b data-testid="model-name">{c.name}</b> version <code data-testid="model-version">{c.version}</code>
          {c.embedder ? ` · ${c.embedder}` : ''}
          {c.labels ? ` · ${c.labels} intents` : ''}
        </p>
      ) : (
        <Pending state={current} what="the served model" off="" />
      )}
      {rollout.kind === 'ok' && rollout.value ? (
        <p data-testid="rollout">
          rollout <b>{rollout.value.mode}</b>
          {rollout.value.share !== undefined && rollout.value.mode !== 'off' && rollout.value.mode !== 'shadow' ? ` (${pct(rollout.value.share, 0)} to the challenger)` : ''}
          {rollout.value.champion ? ` · champion ${rollout.value.champion}` : ''}
          {rollout.value.challenger ? ` · challenger ${rollout.value.challenger}` : ''}
          {rollout.value.recommendation ? (
            <>
              <br />
              A/B: <b>{rollout.value.recommendation}</b> {rollout.value.detail ?? ''}
            </>
          ) : null}
        </p>
      ) : (
        <Pending state={rollout} what="the rollout" off="Serving a model directory: no registry rollout (serve models:/NAME@champion for one)." />
      )}
      <h3>Evaluation runs</h3>
      {runs.kind !== 'ok' ? (
        <Pending state={runs} what="the tracked runs" off="No tracking store on this server (tracking.uri is none)." />
      ) : runs.value.length ? (
        <div class="table-scroll">
          <table data-testid="runs">
            <thead>
              <tr>
                <th>run</th>
                <th>started</th>
                {COLUMNS.map((m) => (
                  <th key={m.key} class="num" title={m.title}>
                    {m.head}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {runs.value.map((run) => (
                <tr key={run.id} data-testid="run" data-status={run.status}>
                  <td>
                    <code>{run.id.slice(0, 8)}</code> {run.name ?? ''}
                  </td>
                  <td>{when(run.startedAt)}</td>
                  {run.status === 'failed' || run.status === 'running' ? (
                    <td colSpan={COLUMNS.length} class={run.status === 'failed' ? 'error run-error' : 'muted'} data-testid="run-error">
                      {run.status === 'failed' ? `failed: ${run.error ?? 'no error recorded'}` : 'running…'}
                    </td>
                  ) : (
                    COLUMNS.map((m) => (
                      <td key={m.key} class="num" data-metric={m.key}>
                        {cell(run.metrics[m.key], m.kind)}
                      </td>
                    ))
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p class="muted">No tracked runs yet: every `intentops train` records one, `intentops eval` adds its test figures.</p>
      )}
    </section>
  );
}
