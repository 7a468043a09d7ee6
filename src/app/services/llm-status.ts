import type { PredictionLog, PredictionRecord } from '../../ports/prediction-log.js';
import { LlmShadowStats, type LlmShadowFigures } from '../classify/llm-shadow.js';

/*
 * The LLM variants as served: which variant answers, which one shadows it, and how they compare
 * — live (this process, LlmShadowStats) and from the prediction log (every replica): the
 * challenger's `llm-shadow` records paired with the answers they shadowed, by id.
 */

/** What `GET /v1/rollout/llm` and `intentops llm status` show. */
export interface LlmStatus {
  /** The served variants: the registered name followed (null: the prompt file), the champion's label, the shadowing challenger's (null: shadow off). */
  readonly served: {
    readonly name: string | null;
    readonly champion: string;
    readonly challenger: string | null;
    readonly shadow: { readonly on: boolean; readonly sampleRate: number; readonly maxInFlight: number };
  } | null;
  /** This process's comparisons since start. */
  readonly live?: LlmShadowFigures;
  /** From the prediction log, all replicas (with analysis). */
  readonly logged?: LlmShadowFigures;
}

/** Records read at most for the logged figures (the most recent shadow pairs beyond it are left out). */
export const MAX_LOGGED = 50_000;

/**
 * Agreement, cost and latency of the champion and challenger variants from the prediction log
 * since `since`: every `llm-shadow` record paired with the answer of the same id.
 */
export async function loggedLlmShadow(log: Pick<PredictionLog, 'query'>, since: string, limit = MAX_LOGGED): Promise<LlmShadowFigures> {
  const records = await log.query({ since, limit });
  const answers = new Map<string, PredictionRecord>();
  for (const r of records) if (r.variant === 'champion' || r.variant === 'challenger') answers.set(r.id, r);
  const stats = new LlmShadowStats(since);
  const side = (r: PredictionRecord) => ({ variant: r.llm!.variant ?? r.llm!.model, intent: r.intent, costUsd: r.llm!.costUsd, latencyMs: r.llm!.latencyMs ?? r.latencyMs });
  for (const s of records) {
    if (s.variant !== 'llm-shadow' || !s.llm) continue;
    const a = answers.get(s.id);
    if (a?.llm) stats.add(side(a), side(s));
  }
  return stats.figures();
}

const pct = (x: number | null) => (x === null ? '–' : `${(100 * x).toFixed(1)}%`);
const usd = (x: number | null) => (x === null ? '–' : `$${x.toFixed(4)}`);
const ms = (l: { p50: number; p95: number } | null) => (l ? `p50 ${Math.round(l.p50)} ms, p95 ${Math.round(l.p95)} ms` : 'latency –');

/** LLM shadow figures as text lines (for `llm status` and `rollout status`). */
export function formatLlmShadow(f: LlmShadowFigures, indent = '  '): string[] {
  if (!f.compared && !f.dropped && !f.failed && !f.skipped) return [`${indent}no shadowed messages yet`];
  const side = (n: string, v: LlmShadowFigures['champion']) =>
    `${indent}${n.padEnd(11)}${(v.variant ?? '–').padEnd(22)} ${String(v.answers).padStart(6)} answers  ${usd(v.costUsd)} (${usd(v.costPer1k)} per 1,000)  ${ms(v.latencyMs)}`;
  return [
    `${indent}agreement  ${pct(f.agreementRate)} same intent (${f.agreed}/${f.compared})`,
    side('champion', f.champion),
    side('challenger', f.challenger),
    `${indent}skipped    ${f.dropped} (challenger calls in flight at the cap), ${f.skipped} declined (budget or open circuit), ${f.failed} failed`,
  ];
}

/** The whole LLM status as text. */
export function formatLlmStatus(s: LlmStatus): string {
  if (!s.served && !s.live && !s.logged) return 'no LLM fallback (llm.provider is none and no llm.variant is set)';
  const lines: string[] = [];
  if (s.served) {
    const v = s.served;
    lines.push(`LLM: ${v.champion}${v.name ? ` (${v.name}@champion)` : ' (prompt file)'}`);
    lines.push(v.shadow.on && v.challenger ? `  shadow on: ${v.challenger} answers ${pct(v.shadow.sampleRate)} of the champion's LLM answers too (at most ${v.shadow.maxInFlight} calls in flight)` : '  shadow off');
  }
  if (s.live) lines.push('', `live (this server process, since ${s.live.since}):`, ...formatLlmShadow(s.live));
  if (s.logged) lines.push('', `prediction log (all replicas, since ${s.logged.since}):`, ...formatLlmShadow(s.logged));
  return lines.join('\n');
}
