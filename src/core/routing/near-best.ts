import { clopperPearsonUpper, clopperPearsonUpperAtMost } from '../eval/bounds.js';
import { reasonFor } from './policy.js';
import { unreachedDelta, type CalibratedPolicy, type RoutingSample } from './calibrate.js';

/**
 * The widest cut among near-equal bounds (the loop's fix for thresholds that jump from one model
 * to the next). When no cut can promise the target with the bound (few confirmed labels),
 * calibratePolicy's `best-bound` fallback takes the cut with the highest bound; but bounds that
 * differ by a tenth of a point can sit at very different coverages (on BANKING77 one champion took
 * 59 % of its calibration rows at a bound of 97.0 %, the next 30 % at 96.9 %), so the share of
 * messages the model answers swings from day to day on noise. This keeps the chosen policy family
 * (margin and kNN rule) and takes, among its confidence cuts whose held-out precision still meets
 * the target (point estimate), the widest whose bound is at most `tolerance` below the chosen one,
 * both bounds computed at the error probability of the chosen bound (unreachedDelta). A cut never
 * goes below the target on the held-out rows, and the policy reports its own (lower) bound and
 * `reachedTarget: false`, as the fallback did.
 *
 * Returns `chosen` unchanged when it reached the target, when it has no bound (delta 0) or when
 * `tolerance` is 0.
 */
export function widestNearBest(samples: readonly RoutingSample[], chosen: CalibratedPolicy, tolerance: number): CalibratedPolicy {
  if (!(tolerance > 0) || chosen.reachedTarget || !chosen.delta || chosen.precisionBound === undefined || samples.length === 0) return chosen;
  const n = samples.length;
  const kept = Math.round(chosen.coverage * n);
  if (kept === 0) return chosen;
  const d = unreachedDelta(chosen.delta, samples);
  const floor = chosen.precisionBound - tolerance;
  const { minMargin, requireKnnAgreement } = chosen.policy;
  const pass = samples.filter((s) => reasonFor({ minConfidence: 0, minMargin, requireKnnAgreement }, s.confidence, s.margin, s.knnAgrees) === 'confident');
  pass.sort((a, b) => b.confidence - a.confidence);
  let best: { minConfidence: number; kept: number; ok: number } | null = null;
  let ok = 0;
  for (let i = 0; i < pass.length; i++) {
    ok += pass[i].correct ? 1 : 0;
    if (i < pass.length - 1 && pass[i + 1].confidence >= pass[i].confidence) continue;
    const k = i + 1;
    if (k <= kept || ok / k < chosen.targetPrecision) continue;
    if (clopperPearsonUpperAtMost(k - ok, k, d, 1 - floor)) best = { minConfidence: pass[i].confidence, kept: k, ok };
  }
  if (!best) return chosen;
  return {
    ...chosen,
    policy: { ...chosen.policy, minConfidence: best.minConfidence },
    coverage: best.kept / n,
    precision: best.ok / best.kept,
    precisionBound: 1 - clopperPearsonUpper(best.kept - best.ok, best.kept, d),
  };
}
