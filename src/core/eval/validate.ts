import { IntentOpsError } from '../errors.js';

/*
 * Argument checks shared by the metric functions. Metrics silently computed on misaligned or
 * out-of-range inputs are worse than no metrics, so every public function checks its inputs and
 * fails with an `invalid_input` error naming the function, the argument and the offending index.
 */

function fail(where: string, message: string, hint: string): never {
  throw new IntentOpsError('invalid_input', message, { where, hint });
}

/** Throws unless `a` and `b` have the same, non-zero length; returns that length. */
export function sameNonEmptyLength(fn: string, a: ArrayLike<unknown>, b: ArrayLike<unknown>, names: [string, string]): number {
  if (a.length !== b.length) {
    fail(fn, `${names[0]} has ${a.length} items but ${names[1]} has ${b.length}`, 'pass one value per example in both arrays, in the same order');
  }
  if (a.length === 0) {
    fail(fn, `${names[0]} and ${names[1]} are empty`, 'a metric needs at least one example');
  }
  return a.length;
}

/** Throws unless every value is an integer label id in [0, k). */
export function labelIds(fn: string, name: string, y: ArrayLike<number>, k: number): void {
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    if (!Number.isInteger(v) || v < 0 || v >= k) {
      fail(`${fn}(${name})[${i}]`, `label id ${v} is not an integer in [0, ${k - 1}]`, `ids index into the ${k} label names; map label strings to ids first`);
    }
  }
}

/** Throws unless every value is finite (and, with `unit`, inside [0, 1]). */
export function finiteValues(fn: string, name: string, x: ArrayLike<number>, unit = false): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (!Number.isFinite(v) || (unit && (v < 0 || v > 1))) {
      fail(`${fn}(${name})[${i}]`, `value ${v} is not ${unit ? 'a probability in [0, 1]' : 'a finite number'}`, unit ? 'pass the predicted-class probability, not a logit or a percentage' : 'drop or impute missing values before computing metrics');
    }
  }
}

/** Throws unless `n` is an integer >= `min`. */
export function integerAtLeast(fn: string, name: string, n: number, min: number): void {
  if (!Number.isInteger(n) || n < min) {
    fail(`${fn}(${name})`, `${name} = ${n} is not an integer >= ${min}`, `pass a whole number of at least ${min}`);
  }
}

/** Throws unless `v` lies in (lo, hi] (or [lo, hi] when `closedLow`). */
export function inRange(fn: string, name: string, v: number, lo: number, hi: number, closedLow: boolean): void {
  const ok = Number.isFinite(v) && (closedLow ? v >= lo : v > lo) && v <= hi;
  if (!ok) {
    fail(`${fn}(${name})`, `${name} = ${v} is outside ${closedLow ? '[' : '('}${lo}, ${hi}]`, `pass a value between ${lo} and ${hi}`);
  }
}
