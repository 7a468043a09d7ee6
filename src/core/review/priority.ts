/**
 * The order of the review queue: the item whose label removes the most LLM calls (and wrong
 * answers) per reviewer hour comes first. A reviewer spends about the same time on every item, so
 * the value of an item is the value of labelling it:
 *
 *   score = messages × doubt × weight × age
 *
 * - messages: the messages the label will settle, each counted with a half-life of
 *   RECENT_HALF_LIFE_HOURS (a text that keeps coming is worth more than one that came a lot once).
 *   Near-duplicates are grouped into one item (groupKey), so they all count here.
 * - doubt: the chance the model gets such a message wrong or hands it to the LLM: the mean of
 *   (1 − confidence) and (1 − margin to the runner-up), at least MIN_DOUBT. An audit item (a sampled
 *   accepted answer for a person to check) and an llm_check item (a sampled LLM answer for a person
 *   to check) have a fixed doubt of 1: their value is the check itself.
 * - weight: by the reason the message came to review (REASON_WEIGHTS): a failed LLM call (llm_*)
 *   means the message cost a call and bought nothing, the most to remove; out-of-scope and
 *   unfamiliar messages often end as "not ours", which removes fewer calls; an LLM answer's check
 *   (llm_check) weighs least: the message was answered, and its label measures the LLM and
 *   calibrates the next model rather than removing a call at once.
 * - age: the score doubles every AGE_DOUBLING_HOURS the item waits, faster than a message's weight
 *   halves, so every item's score grows without bound while it waits and nothing starves; equal
 *   scores go oldest first.
 *
 * In logarithms the whole score is a sum whose only time-dependent part is the same for every
 * item (now × (ln2/AGE_DOUBLING − ln2/HALF_LIFE)); so a store keeps `rank` (rankKey) per item,
 * changed only when a message is added, and `ORDER BY rank DESC` is the score order at any time.
 */

export const RECENT_HALF_LIFE_HOURS = 168;
export const AGE_DOUBLING_HOURS = 24;
export const MIN_DOUBT = 0.05;
export const AUDIT_DOUBT = 1;

/** What a label is worth by the reason its message came to review; reasons not listed weigh DEFAULT_WEIGHT. */
export const REASON_WEIGHTS: Readonly<Record<string, number>> = Object.freeze({
  llm_failed: 1,
  llm_none: 1,
  llm_budget: 1,
  llm_timeout: 1,
  low_confidence: 0.8,
  low_margin: 0.8,
  knn_disagrees: 0.8,
  unfamiliar: 0.6,
  out_of_scope: 0.5,
  audit: 0.5,
  llm_check: 0.3,
});
export const DEFAULT_WEIGHT = 0.8;

/** Times are hours since this instant (keeps the stored logarithms small). */
const EPOCH_MS = Date.UTC(2020, 0, 1);
const HOUR_MS = 3_600_000;
const LN2 = Math.LN2;
/** Per hour: ln 2 / half-life (how a message's weight decays), ln 2 / doubling (how age grows). */
export const RECENT_RATE = LN2 / RECENT_HALF_LIFE_HOURS;
export const AGE_RATE = LN2 / AGE_DOUBLING_HOURS;

/** Hours since EPOCH_MS (the unit of the stored terms; adapters pass it to SQL). */
export function hoursOf(ms: number): number {
  return (ms - EPOCH_MS) / HOUR_MS;
}

/** The fields of an item the score reads. */
export interface PriorityItem {
  readonly reason: string;
  readonly confidence: number;
  readonly alternatives: readonly { readonly intent: string; readonly score: number }[];
  readonly guess: string;
}

export interface ReviewPriority {
  /** messages × doubt × weight × ageFactor: higher is served first. */
  readonly score: number;
  /** Messages the label settles, each weighted by recency (half-life RECENT_HALF_LIFE_HOURS). */
  readonly messages: number;
  /** Messages in all (the item's count). */
  readonly count: number;
  /** 0–1: how likely the model gets such a message wrong or sends it to the LLM. */
  readonly doubt: number;
  /** What a label is worth for the item's reason. */
  readonly weight: number;
  /** Hours the item has waited. */
  readonly ageHours: number;
  /** 2^(ageHours / AGE_DOUBLING_HOURS). */
  readonly ageFactor: number;
  /** The same in words, e.g. "3.0 recent messages × doubt 0.62 × low_confidence 0.8 × waited 30 h (×2.4) = 3.6". */
  readonly explanation: string;
}

const clamp01 = (x: number) => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0);

/** The runner-up's score: the best alternative that is not the guess (0 when there is none). */
function runnerUp(item: PriorityItem): number {
  let best = 0;
  for (const a of item.alternatives) if (a.intent !== item.guess && a.score > best) best = a.score;
  return best;
}

/** How likely the model gets this message wrong or hands it on: mean of 1 − confidence and 1 − margin, at least MIN_DOUBT; audit and llm_check items AUDIT_DOUBT. */
export function doubtOf(item: PriorityItem): number {
  if (item.reason === 'audit' || item.reason === 'llm_check') return AUDIT_DOUBT;
  const confidence = clamp01(item.confidence);
  const margin = clamp01(confidence - runnerUp(item));
  return Math.max(MIN_DOUBT, (1 - confidence + (1 - margin)) / 2);
}

export function weightOf(reason: string): number {
  return REASON_WEIGHTS[reason] ?? DEFAULT_WEIGHT;
}

/** ln(e^a + e^b) without overflow; the small term is cut at e^-50 (PostgreSQL's exp() refuses underflow, and the adapters compute the same). */
export function logAddExp(a: number, b: number): number {
  return Math.max(a, b) + Math.log(1 + Math.exp(-Math.min(Math.abs(a - b), 50)));
}

/** The stored recency term of one message seen at `atMs`: ln 2^(hours / half-life). */
export function messageLog(atMs: number): number {
  return hoursOf(atMs) * RECENT_RATE;
}

/** The stored recency term after one more message at `atMs` (messages add up; order does not matter). */
export function addMessage(recentLog: number, atMs: number): number {
  return logAddExp(recentLog, messageLog(atMs));
}

/** The part of the stored rank fixed when the item is created: ln(doubt × weight) − ln 2 × created hours / doubling. */
export function staticRank(item: PriorityItem, createdAtMs: number): number {
  return Math.log(doubtOf(item) * weightOf(item.reason)) - hoursOf(createdAtMs) * AGE_RATE;
}

/** The stored order key: ln(score at time t) − t × (AGE_RATE − RECENT_RATE), the same for every item. */
export function rankKey(item: PriorityItem, createdAtMs: number, recentLog: number): number {
  return staticRank(item, createdAtMs) + recentLog;
}

/** An item as the store returns it: its count, recency-weighted count (as of lastSeenAt) and times (ISO-8601). */
export interface ScoredItem extends PriorityItem {
  readonly count: number;
  /** Default: count (an item never stored, e.g. spooled). */
  readonly weightedCount?: number;
  readonly createdAt: string;
  readonly lastSeenAt: string;
}

/**
 * The score of an item at `nowMs` and its parts (what the API and dashboard show). Equal to
 * exp(rankKey + hours(now) × (AGE_RATE − RECENT_RATE)) for the rank a store keeps, so the stored
 * order and these scores agree.
 */
export function priorityOf(item: ScoredItem, nowMs: number): ReviewPriority {
  const doubt = doubtOf(item);
  const weight = weightOf(item.reason);
  const last = Date.parse(item.lastSeenAt);
  const created = Date.parse(item.createdAt);
  const messages = (item.weightedCount ?? item.count) * 2 ** (-(nowMs - last) / HOUR_MS / RECENT_HALF_LIFE_HOURS);
  // a clock a little behind the store's (another replica) is no negative wait
  const ageHours = Math.max(0, (nowMs - created) / HOUR_MS);
  const ageFactor = 2 ** (ageHours / AGE_DOUBLING_HOURS);
  const score = messages * doubt * weight * ageFactor;
  const r = (x: number, d = 2) => x.toFixed(d);
  const confidence = clamp01(item.confidence);
  const doubtWhy = item.reason === 'audit' ? 'an audit check' : item.reason === 'llm_check' ? "a check of the LLM's answer" : `confidence ${(confidence * 100).toFixed(0)}%, margin ${(clamp01(confidence - runnerUp(item)) * 100).toFixed(0)}%`;
  const waited = ageHours < 1 ? `${Math.round(ageHours * 60)} min` : `${r(ageHours, 0)} h`;
  const explanation =
    `${r(messages, 1)} recent message${item.count === 1 ? '' : 's'} (${item.count} in all) × doubt ${r(doubt)} (${doubtWhy})` +
    ` × ${item.reason} weight ${r(weight, 1)} × waited ${waited} (×${r(ageFactor)}) = ${r(score, 3)}`;
  return { score, messages, count: item.count, doubt, weight, ageHours, ageFactor, explanation };
}
