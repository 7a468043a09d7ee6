/**
 * The confidence routing policy: the decision between answering at once, asking the LLM and
 * sending the message to human review. Pure: thresholds come from the bundle (chosen on
 * validation data by calibrate.ts), the LLM's availability from the caller.
 */
export type Route = 'accepted' | 'llm' | 'review';

/**
 * Why a message was routed where it was. `out_of_scope`: the novelty score says it is none of
 * the trained intents; `unfamiliar`: confident, but its novelty score is below the accept guard
 * (too close to the unknowns for the precision promise at the current unknown share);
 * `contested`: confident, but the LLM has lately been answering messages guessed as this intent
 * with intents the model does not know (see contested.ts), so it asks the LLM.
 */
export type Reason = 'confident' | 'low_confidence' | 'low_margin' | 'knn_disagrees' | 'out_of_scope' | 'unfamiliar' | 'contested';

export interface RoutingPolicy {
  /** Accept only if the top probability is at least this. */
  readonly minConfidence: number;
  /** …and it leads the runner-up by at least this. */
  readonly minMargin: number;
  /** …and the nearest labelled example carries the same label. */
  readonly requireKnnAgreement: boolean;
}

export interface Decision {
  readonly label: number;
  readonly confidence: number;
  readonly margin: number;
  readonly knnAgrees: boolean | null;
  readonly route: Route;
  readonly reason: Reason;
}

/** A message's in-scope score and the two thresholds in force (see core/novelty). */
export interface NoveltyCheck {
  readonly score: number;
  readonly open: number;
  readonly accept: number;
}

/** Top-1 and top-2 of a probability vector. */
export function topTwo(p: ArrayLike<number>): { label: number; confidence: number; margin: number } {
  let a = 0;
  let b = -1;
  for (let c = 1; c < p.length; c++) {
    if (p[c] > p[a]) {
      b = a;
      a = c;
    } else if (b === -1 || p[c] > p[b]) {
      b = c;
    }
  }
  return { label: a, confidence: p[a], margin: p[a] - (b === -1 ? 0 : p[b]) };
}

export function reasonFor(policy: RoutingPolicy, confidence: number, margin: number, knnAgrees: boolean | null): Reason {
  if (confidence < policy.minConfidence) return 'low_confidence';
  if (margin < policy.minMargin) return 'low_margin';
  if (policy.requireKnnAgreement && knnAgrees === false) return 'knn_disagrees';
  return 'confident';
}

/**
 * Routes one message. `knnTopLabel` is the label of the nearest labelled example (null when no
 * index is available). Unsure messages go to the LLM when one is configured, else to review
 * with the best guess attached. `contested(label)`: the intent's confident answers go to the LLM
 * as well (only while one is available: without it there is nobody better to ask).
 */
export function decide(p: ArrayLike<number>, knnTopLabel: number | null, policy: RoutingPolicy, llmAvailable: boolean, novelty?: NoveltyCheck, contested?: (label: number) => boolean): Decision {
  const { label, confidence, margin } = topTwo(p);
  const knnAgrees = knnTopLabel === null ? null : knnTopLabel === label;
  let reason = reasonFor(policy, confidence, margin, knnAgrees);
  if (novelty) {
    if (novelty.score < novelty.open) reason = 'out_of_scope';
    else if (reason === 'confident' && novelty.score < novelty.accept) reason = 'unfamiliar';
  }
  if (reason === 'confident' && llmAvailable && contested?.(label)) reason = 'contested';
  const route: Route = reason === 'confident' ? 'accepted' : llmAvailable ? 'llm' : 'review';
  return { label, confidence, margin, knnAgrees, route, reason };
}
