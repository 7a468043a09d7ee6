import { finiteValues, inRange, integerAtLeast, sameNonEmptyLength } from './validate.js';

/*
 * Selective prediction: answer only the most confident share of traffic and measure how accurate
 * that share is. Every function ranks examples the same way — confidence descending, ties broken
 * by original index ascending (the earlier example is kept first) — so results are deterministic.
 * With tied confidences at the cut, which of the tied examples are kept depends on input order;
 * that is the price of reporting exactly the requested share rather than whole tie groups.
 */

export interface RiskCoveragePoint {
  /** The requested coverage. */
  readonly coverage: number;
  /** Accuracy on the kept examples. */
  readonly accuracy: number;
  /** Number of examples kept: ceil(coverage * n). */
  readonly kept: number;
  /** Lowest confidence among the kept examples. */
  readonly threshold: number;
}

export interface RiskCurvePoint {
  /** Achieved coverage, kept / n. */
  readonly coverage: number;
  /** Error rate on the kept examples, 1 - accuracy. */
  readonly risk: number;
  readonly kept: number;
  readonly threshold: number;
}

export interface AcceptedStats {
  /** accepted / total. */
  readonly coverage: number;
  /** Accuracy on the accepted examples (precision of "accept"); null when nothing was accepted. */
  readonly acceptedAccuracy: number | null;
  readonly accepted: number;
  readonly total: number;
}

/** Example indices in ranking order, and `hits[k]` = correct examples among the first k. */
interface Ranking {
  readonly order: Int32Array;
  readonly hits: Float64Array;
}

function rank(fn: string, correct: ArrayLike<boolean>, confidence: ArrayLike<number>): Ranking {
  const n = sameNonEmptyLength(fn, correct, confidence, ['correct', 'confidence']);
  finiteValues(fn, 'confidence', confidence);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => confidence[b] - confidence[a] || a - b);
  const hits = new Float64Array(n + 1);
  for (let k = 0; k < n; k++) hits[k + 1] = hits[k] + (correct[order[k]] ? 1 : 0);
  return { order, hits };
}

/**
 * Number of examples kept at coverage `c` out of `n`: ceil(c * n), the smallest count whose share
 * is at least `c`, so the reported accuracy never covers less traffic than asked for. The factor
 * (1 - 1e-12) absorbs floating-point error in `c * n` (0.55 * 100 = 55.00000000000001 must keep
 * 55, not 56); c > 0 guarantees at least one example.
 */
function keptAt(c: number, n: number): number {
  return Math.ceil(c * n * (1 - 1e-12));
}

/**
 * Accuracy when only the most confident share of examples is answered, for each requested
 * coverage in (0, 1]. `confidence` may be any finite score where higher means surer (probability,
 * margin, ...).
 *
 * @example
 * riskCoverage([true, false, true, true], [0.9, 0.2, 0.8, 0.6], [0.5])
 * // [{ coverage: 0.5, accuracy: 1, kept: 2, threshold: 0.8 }]
 */
export function riskCoverage(
  correct: ArrayLike<boolean>,
  confidence: ArrayLike<number>,
  coverages: readonly number[] = [1, 0.95, 0.9, 0.8, 0.7],
): RiskCoveragePoint[] {
  const fn = 'riskCoverage';
  const { order, hits } = rank(fn, correct, confidence);
  const n = order.length;
  return coverages.map((c) => {
    inRange(fn, 'coverage', c, 0, 1, false);
    const kept = keptAt(c, n);
    return { coverage: c, accuracy: hits[kept] / kept, kept, threshold: confidence[order[kept - 1]] };
  });
}

/**
 * Up to `points` evenly spaced points of the risk–coverage curve, for plotting: point i keeps
 * ceil(i * n / points) examples (i = 1..points); duplicates (when points > n) are dropped. The last
 * point always has coverage 1.
 */
export function riskCoverageCurve(correct: ArrayLike<boolean>, confidence: ArrayLike<number>, points = 50): RiskCurvePoint[] {
  const fn = 'riskCoverageCurve';
  integerAtLeast(fn, 'points', points, 1);
  const { order, hits } = rank(fn, correct, confidence);
  const n = order.length;
  const curve: RiskCurvePoint[] = [];
  for (let i = 1; i <= points; i++) {
    const kept = Math.ceil((i * n) / points);
    if (curve.length > 0 && curve[curve.length - 1].kept === kept) continue;
    curve.push({ coverage: kept / n, risk: 1 - hits[kept] / kept, kept, threshold: confidence[order[kept - 1]] });
  }
  return curve;
}

/**
 * Area under the risk–coverage curve (Geifman et al., 2018): the mean, over k = 1..n, of the error
 * rate among the k most confident examples. Lower is better: for a given set of errors it is
 * smallest when every error ranks below every correct answer, and a ranking that carries no
 * information about correctness scores the overall error rate on average.
 *
 * @example
 * aurc([true, false, true], [0.9, 0.8, 0.7]) // (0 + 1/2 + 1/3) / 3 = 0.2777...
 */
export function aurc(correct: ArrayLike<boolean>, confidence: ArrayLike<number>): number {
  const { order, hits } = rank('aurc', correct, confidence);
  const n = order.length;
  let sum = 0;
  for (let k = 1; k <= n; k++) sum += 1 - hits[k] / k;
  return sum / n;
}

/**
 * Coverage and accuracy of the examples a routing policy accepted (answered without fallback).
 *
 * @example
 * acceptedStats([true, false, true], [true, true, false])
 * // { coverage: 2/3, acceptedAccuracy: 0.5, accepted: 2, total: 3 }
 */
export function acceptedStats(correct: ArrayLike<boolean>, accepted: ArrayLike<boolean>): AcceptedStats {
  const total = sameNonEmptyLength('acceptedStats', correct, accepted, ['correct', 'accepted']);
  let kept = 0;
  let right = 0;
  for (let i = 0; i < total; i++) {
    if (!accepted[i]) continue;
    kept += 1;
    if (correct[i]) right += 1;
  }
  return { coverage: kept / total, acceptedAccuracy: kept === 0 ? null : right / kept, accepted: kept, total };
}
