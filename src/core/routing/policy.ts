/**
 * The confidence routing policy: the decision between answering at once, asking the LLM and
 * sending the message to human review. Pure: thresholds come from the bundle (chosen on
 * validation data by calibrate.ts), the LLM's availability from the caller.
 */
export type Route = 'accepted' | 'llm' | 'review';

export type Reason = 'confident' | 'low_confidence' | 'low_margin' | 'knn_disagrees';

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
 * with the best guess attached.
 */
export function decide(p: ArrayLike<number>, knnTopLabel: number | null, policy: RoutingPolicy, llmAvailable: boolean): Decision {
  const { label, confidence, margin } = topTwo(p);
  const knnAgrees = knnTopLabel === null ? null : knnTopLabel === label;
  const reason = reasonFor(policy, confidence, margin, knnAgrees);
  const route: Route = reason === 'confident' ? 'accepted' : llmAvailable ? 'llm' : 'review';
  return { label, confidence, margin, knnAgrees, route, reason };
}
