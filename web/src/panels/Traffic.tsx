import type { Live } from '../live.js';
import { ms, num, pct } from '../format.js';

const ROUTES = ['accepted', 'llm', 'review'] as const;

export function Traffic({ live }: { live?: Live }) {
  const all = live ? Object.values(live.routes).reduce((a, b) => a + b, 0) : 0;
  return (
    <section class="panel" data-testid="traffic">
      <h2>Live traffic</h2>
      <div class="figures">
        <Figure label="requests / s" value={num(live?.rps, 1)} id="rps" />
        <Figure label="p50 latency" value={ms(live?.p50Ms)} id="p50" />
        <Figure label="p99 latency" value={ms(live?.p99Ms)} id="p99" />
        <Figure label="5xx share" value={pct(live?.errorShare)} id="errors" />
        <Figure label="cache hits" value={pct(live?.cacheHitShare)} id="cache" />
      </div>
      <h3>Route mix ({num(all)} classified)</h3>
      <div class="bars">
        {ROUTES.map((r) => {
          const share = all > 0 && live ? (live.routes[r] ?? 0) / all : 0;
          return (
            <div class="bar-row" key={r}>
              <span class="bar-label">{r}</span>
              <span class="bar">
                <span class={`fill ${r}`} style={{ width: `${(100 * share).toFixed(1)}%` }} />
              </span>
              <span class="bar-value" data-testid={`route-${r}`}>{pct(share)}</span>
            </div>
          );
        })}
      </div>
    </section>
  );
}

export function Figure({ label, value, id }: { label: string; value: string; id: string }) {
  return (
    <div class="figure">
      <div class="value" data-testid={id}>
        {value}
      </div>
      <div class="label">{label}</div>
    </div>
  );
}
