import { IntentOpsError } from '../errors.js';
import { finiteValues, inRange } from './validate.js';

export interface LatencySummary {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly mean: number;
  readonly max: number;
}

function nonEmpty(fn: string, values: ArrayLike<number>): void {
  if (values.length === 0) {
    throw new IntentOpsError('invalid_input', 'values is empty', { where: fn, hint: 'a percentile needs at least one value' });
  }
}

function sortedCopy(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort();
}

/**
 * numpy's default ('linear') percentile of ascending `sorted`: virtual index h = (n - 1) * p / 100,
 * interpolated between its neighbours with numpy's two-sided lerp, which is exact at both ends.
 */
function percentileOfSorted(sorted: Float64Array, p: number): number {
  const h = (sorted.length - 1) * (p / 100);
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  const t = h - lo;
  const a = sorted[lo];
  const b = sorted[hi];
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}

/**
 * The p-th percentile (p in [0, 100]) with linear interpolation between closest ranks, as
 * `numpy.percentile(values, p)` computes it by default. The input is not modified.
 *
 * @example
 * percentile([1, 2, 3, 4], 90) // 3.7
 */
export function percentile(values: ArrayLike<number>, p: number): number {
  const fn = 'percentile';
  nonEmpty(fn, values);
  finiteValues(fn, 'values', values);
  inRange(fn, 'p', p, 0, 100, true);
  return percentileOfSorted(sortedCopy(values), p);
}

/**
 * p50 / p90 / p99 (numpy-style percentiles), mean and max of request latencies in milliseconds.
 *
 * @example
 * summarizeLatencies([10, 20, 30]) // { p50: 20, p90: 28, p99: 29.8, mean: 20, max: 30 }
 */
export function summarizeLatencies(ms: ArrayLike<number>): LatencySummary {
  const fn = 'summarizeLatencies';
  nonEmpty(fn, ms);
  finiteValues(fn, 'ms', ms);
  const sorted = sortedCopy(ms);
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    p50: percentileOfSorted(sorted, 50),
    p90: percentileOfSorted(sorted, 90),
    p99: percentileOfSorted(sorted, 99),
    mean: sum / sorted.length,
    max: sorted[sorted.length - 1],
  };
}
