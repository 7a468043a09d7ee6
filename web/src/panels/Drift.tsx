import { num } from '../format.js';
import { Pending, type Loadable } from '../loadable.js';

export interface Alert {
  readonly kind: string;
  readonly severity: string;
  readonly value?: number;
  readonly threshold?: number;
  readonly message?: string;
}

export interface MonitorView {
  readonly alerts: readonly Alert[];
  /** Named figures (PSI of labels, confidence shift, OOV share, …) with their values. */
  readonly figures: readonly { readonly name: string; readonly value: number | undefined; readonly note?: string }[];
  readonly samples?: number;
}

export function Drift({ monitor: state }: { monitor: Loadable<MonitorView> }) {
  if (state.kind !== 'ok') {
    return (
      <section class="panel" data-testid="drift">
        <h2>Drift and quality</h2>
        <Pending state={state} what="drift and quality" off="Monitoring is off on this server (monitor.enabled)." />
      </section>
    );
  }
  const monitor = state.value;
  return (
    <section class="panel" data-testid="drift">
      <h2>Drift and quality {monitor.samples !== undefined ? <small>({num(monitor.samples)} messages in window)</small> : null}</h2>
      {monitor.alerts.length ? (
        <ul class="alerts">
          {monitor.alerts.map((a, i) => (
            <li key={i} class={`alert-${a.severity}`} data-testid="alert">
              <b>{a.severity}</b> {a.kind}: {a.message ?? `${num(a.value, 3)} over ${num(a.threshold, 3)}`}
            </li>
          ))}
        </ul>
      ) : (
        <p class="ok-text" data-testid="no-alerts">No alerts.</p>
      )}
      <table>
        <tbody>
          {monitor.figures.map((f) => (
            <tr key={f.name}>
              <td>{f.name}</td>
              <td class="num">{num(f.value, f.value !== undefined && Number.isInteger(f.value) ? 0 : 3)}</td>
              <td class="muted">{f.note ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
