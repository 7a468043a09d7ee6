import { finiteValues, integerAtLeast, sameNonEmptyLength } from './validate.js';

/*
 * Calibration with equal-width confidence bins, as in Guo et al. (2017), "On Calibration of
 * Modern Neural Networks". Bin b of M covers (b/M, (b+1)/M]; the first bin also includes 0. That
 * is the rule of Guo et al.'s reference code (lower edge open, upper closed), except that a
 * confidence of exactly 0 is counted instead of dropped. Other tools (scikit-learn's
 * `calibration_curve` across versions) treat exact edges differently, so results can differ from
 * theirs only for confidences lying exactly on an edge.
 */

export interface ReliabilityBin {
  readonly lo: number;
  readonly hi: number;
  readonly count: number;
  /** Mean confidence of the examples in the bin; null for an empty bin. */
  readonly meanConfidence: number | null;
  /** Fraction of the bin's examples that are correct; null for an empty bin. */
  readonly accuracy: number | null;
}

/** Bin of `conf` in [0, 1] among `m` bins, decided against the edges b / m exactly. */
function binOf(conf: number, m: number): number {
  let b = Math.min(m - 1, Math.max(0, Math.ceil(conf * m) - 1));
  // conf * m can round across an integer (0.14 * 50 = 7.000000000000001); settle on the edges.
  while (b > 0 && conf <= b / m) b--;
  while (b < m - 1 && conf > (b + 1) / m) b++;
  return b;
}

interface BinSums {
  readonly count: Float64Array;
  readonly conf: Float64Array;
  readonly hits: Float64Array;
  readonly n: number;
}

function binSums(fn: string, confidence: ArrayLike<number>, correct: ArrayLike<boolean>, bins: number): BinSums {
  const n = sameNonEmptyLength(fn, confidence, correct, ['confidence', 'correct']);
  finiteValues(fn, 'confidence', confidence, true);
  integerAtLeast(fn, 'bins', bins, 1);
  const count = new Float64Array(bins);
  const conf = new Float64Array(bins);
  const hits = new Float64Array(bins);
  for (let i = 0; i < n; i++) {
    const b = binOf(confidence[i], bins);
    count[b] += 1;
    conf[b] += confidence[i];
    if (correct[i]) hits[b] += 1;
  }
  return { count, conf, hits, n };
}

/**
 * Expected calibration error: sum over bins of (bin count / n) * |bin accuracy - bin mean
 * confidence|. 0 means confidence matches accuracy in every bin.
 *
 * @example
 * expectedCalibrationError([0.75, 0.75, 0.75, 0.75], [true, true, true, false], 10) // 0
 */
export function expectedCalibrationError(confidence: ArrayLike<number>, correct: ArrayLike<boolean>, bins = 15): number {
  const s = binSums('expectedCalibrationError', confidence, correct, bins);
  let ece = 0;
  // (count / n) * |hits / count - conf / count| = |hits - conf| / n; empty bins contribute 0.
  for (let b = 0; b < bins; b++) ece += Math.abs(s.hits[b] - s.conf[b]);
  return ece / s.n;
}

/** Per-bin counts, mean confidence and accuracy for a reliability diagram; all `bins` bins, in order. */
export function reliabilityDiagram(confidence: ArrayLike<number>, correct: ArrayLike<boolean>, bins = 15): ReliabilityBin[] {
  const s = binSums('reliabilityDiagram', confidence, correct, bins);
  return Array.from({ length: bins }, (_, b) => {
    const count = s.count[b];
    return {
      lo: b / bins,
      hi: (b + 1) / bins,
      count,
      meanConfidence: count === 0 ? null : s.conf[b] / count,
      accuracy: count === 0 ? null : s.hits[b] / count,
    };
  });
}
