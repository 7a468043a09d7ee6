import { num, pct, usd } from '../format.js';
import type { Columns, Precision } from '../history.js';
import { Chart } from './Chart.js';

const COLORS = { accepted: '#2f9e6e', llm: '#3b6fd8', review: '#d98a1c', band: '#8a93a6', target: '#c8382c' };
const share = (v: number) => `${Math.round(100 * v)} %`;
const last = <T,>(xs: readonly T[]): T | undefined => xs[xs.length - 1];

/**
 * Request rate, route mix, LLM spend and accepted precision over the monitoring window, as this
 * page has seen them (one point per refresh, from the moment it opened).
 */
export function Trends({ c, windowMinutes, precision }: { c: Columns; windowMinutes: number; precision?: Precision }) {
  const lastRoutes = (r: keyof Columns['routes']) => last(c.routes[r]) ?? undefined;
  return (
    <section class="panel trends" data-testid="trends">
      <h2>
        Trends <small class="muted">(last {windowMinutes} min while this page is open, one point per refresh)</small>
      </h2>
      <div class="charts">
        <Chart id="rps" title="requests / s" now={num(last(c.rps), 1)} t={c.t} lines={[{ label: 'requests / s', color: COLORS.llm, values: c.rps }]} format={(v) => num(v, v < 10 ? 1 : 0)} />
        <Chart
          id="routes"
          title="route mix"
          now={`${pct(lastRoutes('accepted'), 0)} accepted`}
          t={c.t}
          range="share"
          lines={(['accepted', 'llm', 'review'] as const).map((r) => ({ label: r, color: COLORS[r], values: c.routes[r] }))}
          format={share}
        />
        <Chart id="cost" title="LLM spend in window" now={usd(last(c.spend))} t={c.t} lines={[{ label: 'US$', color: COLORS.review, values: c.spend }]} format={(v) => `$${v < 1 ? v.toFixed(3) : v.toFixed(2)}`} />
        {c.hasPrecision ? (
          <Chart
            id="precision"
            title="accepted precision"
            now={precision ? `${pct(precision.estimate)} [${pct(precision.lower)} – ${pct(precision.upper)}], ${num(precision.audited)} audited` : '–'}
            t={c.t}
            range="upper"
            lines={[
              { label: 'estimate', color: COLORS.accepted, values: c.precision.estimate },
              { label: 'lower', color: COLORS.band, dash: [4, 3], values: c.precision.lower },
              { label: 'upper', color: COLORS.band, dash: [4, 3], values: c.precision.upper },
              { label: 'target', color: COLORS.target, dash: [2, 2], values: c.precision.target.map((x) => (x !== null && Number.isFinite(x) ? x : null)) },
            ]}
            format={(v) => `${(100 * v).toFixed(0)} %`}
          />
        ) : (
          <figure class="chart" data-testid="chart-precision">
            <figcaption>accepted precision</figcaption>
            <p class="muted chart-empty" data-state="no-audit">
              No audit data yet: the estimate appears once reviewers audit accepted answers.
            </p>
          </figure>
        )}
      </div>
    </section>
  );
}
