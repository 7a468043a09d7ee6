import { reasonFor, type RoutingPolicy } from './policy.js';

/** One validation message as the router sees it, and whether the top label was right. */
export interface RoutingSample {
  readonly confidence: number;
  readonly margin: number;
  readonly knnAgrees: boolean | null;
  readonly correct: boolean;
}

export interface CalibratedPolicy {
  readonly policy: RoutingPolicy;
  /** Share of validation messages accepted under the policy. */
  readonly coverage: number;
  /** Accuracy on the accepted validation messages. */
  readonly precision: number;
  readonly targetPrecision: number;
  /** False when no setting reached the target: the policy is then the most precise one found. */
  readonly reachedTarget: boolean;
  readonly samples: number;
}

const MARGINS = [0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3];

/**
 * Chooses the thresholds that accept the most validation messages while the accuracy on the
 * accepted ones stays ≥ `targetPrecision`. For every (margin, agreement) pair it sorts the
 * passing messages by confidence and takes the longest prefix (cut between distinct confidence
 * values) whose accuracy meets the target; the widest such policy wins, simpler ones on ties.
 */
export function calibratePolicy(samples: readonly RoutingSample[], targetPrecision: number, minAccepted = 1): CalibratedPolicy {
  const n = samples.length;
  let best: CalibratedPolicy | null = null;
  let fallback: CalibratedPolicy | null = null;
  for (const requireKnnAgreement of [false, true]) {
    if (requireKnnAgreement && samples.every((s) => s.knnAgrees === null)) continue;
    for (const minMargin of MARGINS) {
      const pass = samples.filter((s) => reasonFor({ minConfidence: 0, minMargin, requireKnnAgreement }, s.confidence, s.margin, s.knnAgrees) === 'confident');
      pass.sort((a, b) => b.confidence - a.confidence);
      let ok = 0;
      for (let i = 0; i < pass.length; i++) {
        ok += pass[i].correct ? 1 : 0;
        const boundary = i === pass.length - 1 || pass[i + 1].confidence < pass[i].confidence;
        if (!boundary) continue;
        const kept = i + 1;
        const precision = ok / kept;
        const cand: CalibratedPolicy = {
          policy: { minConfidence: pass[i].confidence, minMargin, requireKnnAgreement },
          coverage: kept / n,
          precision,
          targetPrecision,
          reachedTarget: precision >= targetPrecision,
          samples: n,
        };
        if (cand.reachedTarget && kept >= minAccepted && (!best || cand.coverage > best.coverage)) best = cand;
        if (!fallback || precision > fallback.precision || (precision === fallback.precision && cand.coverage > fallback.coverage)) fallback = cand;
      }
    }
  }
  if (best) return best;
  if (fallback) return { ...fallback, reachedTarget: false };
  return {
    policy: { minConfidence: 1.01, minMargin: 0, requireKnnAgreement: false },
    coverage: 0,
    precision: 0,
    targetPrecision,
    reachedTarget: false,
    samples: n,
  };
}
