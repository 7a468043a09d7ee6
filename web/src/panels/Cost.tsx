import { useEffect, useState } from 'preact/hooks';
import type { Live } from '../live.js';
import { ms, num, pct, usd } from '../format.js';
import { apiKey } from '../api.js';
import { readFeatures } from '../features.js';
import { LOADING, load, NEEDS_KEY, Pending, type Loadable } from '../loadable.js';
import { Figure } from './Traffic.js';

/** One LLM variant's side of the shadow comparison (GET /v1/rollout/llm). */
interface LlmSide {
  readonly variant: string | null;
  readonly answers: number;
  readonly costUsd: number;
  readonly costPer1k: number | null;
  readonly latencyMs: { readonly p50: number; readonly p95: number } | null;
}

/** GET /v1/rollout/llm: the served LLM variants and this process's shadow comparison. */
export interface LlmVariants {
  readonly served: { readonly name: string | null; readonly champion: string; readonly challenger: string | null; readonly shadow: { readonly on: boolean; readonly sampleRate: number } } | null;
  readonly live?: { readonly compared: number; readonly agreed: number; readonly agreementRate: number | null; readonly champion: LlmSide; readonly challenger: LlmSide; readonly dropped: number; readonly skipped: number; readonly failed: number };
}

/**
 * Polled on its own (every 15 s): which LLM variant answers, and how a shadowing challenger
 * compares. `waiting`: the page waits for the API key (the other panels say so), so nothing is
 * requested until it is given — no 401s, and a wrong key is refused once, by the page's own refresh.
 */
function useLlmVariants(waiting: boolean): Loadable<LlmVariants> {
  const [state, set] = useState<Loadable<LlmVariants>>(LOADING);
  useEffect(() => {
    if (waiting) {
      set(NEEDS_KEY);
      return undefined;
    }
    let stop = false;
    const tick = () => void load<LlmVariants>(undefined, '/v1/rollout/llm').then((s) => !stop && set(s));
    tick();
    const t = setInterval(tick, 15_000);
    return () => {
      stop = true;
      clearInterval(t);
    };
  }, [waiting]);
  return state;
}

function LlmVariantsView({ state }: { state: Loadable<LlmVariants> }) {
  if (state.kind !== 'ok') return <Pending state={state} what="the LLM variants" off="No LLM fallback configured (llm.provider, llm.variant)." />;
  const { served, live } = state.value;
  if (!served) return null;
  const side = (role: string, v: LlmSide | undefined) => (
    <tr>
      <td>{role}</td>
      <td>{v?.variant ?? '–'}</td>
      <td class="num">{num(v?.answers)}</td>
      <td class="num">{usd(v?.costUsd)}</td>
      <td class="num">{v?.costPer1k === null || v?.costPer1k === undefined ? '–' : usd(v.costPer1k)}</td>
      <td class="num">{v?.latencyMs ? `${ms(v.latencyMs.p50)} / ${ms(v.latencyMs.p95)}` : '–'}</td>
    </tr>
  );
  return (
    <div class="llm-variants" data-testid="llm-variants">
      <p>
        LLM variant <strong>{served.champion}</strong>
        {served.shadow.on && served.challenger ? (
          <>
            {' '}
            — shadow: <strong>{served.challenger}</strong> also answers {pct(served.shadow.sampleRate)} of its LLM messages; agreement{' '}
            <strong data-testid="llm-agreement">{pct(live?.agreementRate ?? undefined)}</strong> ({num(live?.agreed)}/{num(live?.compared)})
          </>
        ) : (
          ' — no shadow'
        )}
      </p>
      {served.shadow.on && live ? (
        <table>
          <thead>
            <tr>
              <th />
              <th>variant</th>
              <th>compared</th>
              <th>cost</th>
              <th>per 1,000</th>
              <th>latency p50 / p95</th>
            </tr>
          </thead>
          <tbody>
            {side('champion', live.champion)}
            {side('challenger', live.challenger)}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}

export interface Budget {
  readonly spentTodayUsd?: number;
  readonly dailyUsd?: number;
  readonly share?: number;
  readonly capped?: boolean;
}

export function Cost({ live, budget: state }: { live?: Live; budget: Loadable<Budget | undefined> }) {
  const variants = useLlmVariants(state.kind === 'needs-key' || (readFeatures().auth === true && !apiKey()));
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
      <LlmVariantsView state={variants} />
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
