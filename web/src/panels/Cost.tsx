import type { Live } from '../live.js';
import { num, pct, usd } from '../format.js';
import { Pending, type Loadable } from '../loadable.js';
import { Figure } from './Traffic.js';

export interface Budget {
  readonly spentTodayUsd?: number;
  readonly dailyUsd?: number;
  readonly share?: number;
  readonly capped?: boolean;
}

export function Cost({ live, budget: state }: { live?: Live; budget: Loadable<Budget | undefined> }) {
  const budget = state.kind === 'ok' ? state.value : undefined;
  const share = budget?.share ?? (budget?.dailyUsd ? (budget.spentTodayUsd ?? 0) / budget.dailyUsd : undefined);
  return (
    <section class="panel" data-testid="cost">
      <h2>LLM fallback and cost</h2>
      <div class="figures">
        <Figure label="LLM calls" value={num(live?.llm.calls)} id="llm-calls" />
        <Figure label="tokens (prompt / completion)" value={`${num(live?.llm.promptTokens)} / ${num(live?.llm.completionTokens)}`} id="llm-tokens" />
        <Figure label="cost since start" value={usd(live?.llm.costUsd)} id="llm-cost" />
      </div>
      {state.kind !== 'ok' ? (
        <Pending state={state} what="the LLM budget" off="No daily LLM budget configured (monitor.budget.dailyUsd)." />
      ) : budget?.dailyUsd ? (
        <div class="budget">
          <div>
            today {usd(budget.spentTodayUsd)} of {usd(budget.dailyUsd)} ({pct(share)}){budget.capped ? ' — hard cap reached: unsure messages go to review' : ''}
          </div>
          <span class="bar">
            <span class={`fill ${share !== undefined && share >= 1 ? 'alert' : share !== undefined && share >= 0.8 ? 'warn' : 'ok'}`} style={{ width: `${Math.min(100, 100 * (share ?? 0)).toFixed(1)}%` }} />
          </span>
        </div>
      ) : (
        <p class="muted" data-state="off">
          No daily LLM budget configured (monitor.budget.dailyUsd).
        </p>
      )}
    </section>
  );
}
