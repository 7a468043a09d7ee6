import { IntentOpsError } from '../errors.js';
import { erfc } from '../eval/special.js';

/*
 * The tests behind the A/B recommendation, written out so the core has no numeric dependency:
 * the pooled two-proportion z-test, Fisher's exact test for small counts, Wilson intervals, and
 * the per-arm sample size needed to detect a given difference.
 */

/** P(Z <= z) for a standard normal Z. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/**
 * The standard normal quantile (inverse CDF) by Acklam's rational approximation, refined by one
 * Halley step on normalCdf: relative error far below what a sample size or an interval needs.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new IntentOpsError('invalid_input', `normalQuantile needs 0 < p < 1, got ${p}`, { where: 'normalQuantile(p)' });
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  let x: number;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - lo) {
    const q = p - 0.5;
    const r = q * q;
    x = ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const e = normalCdf(x) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

function counts(fn: string, k: number, n: number): void {
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(k) || k < 0 || k > n) {
    throw new IntentOpsError('invalid_input', `${fn}: need integers 0 <= k <= n, got k=${k}, n=${n}`, { where: fn, hint: 'pass counts of correct outcomes and of all outcomes' });
  }
}

/** Wilson score interval for a proportion k/n at confidence 1 - alpha; null for n = 0. */
export function wilsonInterval(k: number, n: number, alpha = 0.05): [number, number] | null {
  counts('wilsonInterval', k, n);
  if (n === 0) return null;
  const z = normalQuantile(1 - alpha / 2);
  const p = k / n;
  const z2n = (z * z) / n;
  const centre = (p + z2n / 2) / (1 + z2n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2n / (4 * n))) / (1 + z2n);
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/**
 * Two-sided pooled two-proportion z-test of k1/n1 against k2/n2 (z > 0 when the second is
 * higher). Both proportions 0 or both 1 give z = 0, p = 1. The normal approximation wants
 * every expected cell count at least 5; below that use fisherExact.
 */
export function twoProportionZ(k1: number, n1: number, k2: number, n2: number): { z: number; pValue: number } {
  counts('twoProportionZ', k1, n1);
  counts('twoProportionZ', k2, n2);
  if (n1 === 0 || n2 === 0) throw new IntentOpsError('invalid_input', 'twoProportionZ: both groups need at least one outcome', { where: 'twoProportionZ' });
  const pooled = (k1 + k2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  if (se === 0) return { z: 0, pValue: 1 };
  const z = (k2 / n2 - k1 / n1) / se;
  return { z, pValue: Math.min(1, 2 * normalCdf(-Math.abs(z))) };
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; relative error about 1e-15). */
export function logGamma(x: number): number {
  const g = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const y = x - 1;
  let s = g[0];
  for (let i = 1; i < 9; i++) s += g[i] / (y + i);
  const t = y + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(s);
}

const logChoose = (n: number, k: number) => logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);

/**
 * Fisher's exact test, two-sided, of the 2×2 table [[k1, n1-k1], [k2, n2-k2]]: the sum of the
 * probabilities of every table with the same margins that is at most as likely as the one
 * observed (scipy.stats.fisher_exact's definition, with its 1e-7 relative tolerance for ties).
 */
export function fisherExact(k1: number, n1: number, k2: number, n2: number): number {
  counts('fisherExact', k1, n1);
  counts('fisherExact', k2, n2);
  const N = n1 + n2;
  const col = k1 + k2;
  if (N === 0) return 1;
  const lp = (a: number) => logChoose(col, a) + logChoose(N - col, n1 - a) - logChoose(N, n1);
  const observed = lp(k1);
  let p = 0;
  for (let a = Math.max(0, n1 + col - N); a <= Math.min(n1, col); a++) {
    const l = lp(a);
    if (l <= observed + 1e-7) p += Math.exp(l);
  }
  return Math.min(1, p);
}

/**
 * Outcomes per arm needed for a two-sided two-proportion test at level `alpha` to detect a rise
 * from `p1` to `p1 + effect` with probability `power` (equal arms; the usual normal-approximation
 * formula, rounded up).
 *
 * @example
 *   requiredPerArm(0.9, 0.03) // 1356: about 1,400 labelled outcomes on each side to see +3 points from 90 %
 */
export function requiredPerArm(p1: number, effect: number, alpha = 0.05, power = 0.8): number {
  if (!(effect > 0 && effect < 1)) throw new IntentOpsError('invalid_input', `requiredPerArm: effect must be in (0, 1), got ${effect}`, { where: 'rollout.minEffect' });
  // a baseline at or near 1 leaves no room for the effect: measure a fall instead
  const a = Math.min(Math.max(p1, 0), 1);
  const [lo, hi] = a + effect <= 1 ? [a, a + effect] : [a - effect, a];
  const bar = (lo + hi) / 2;
  const za = normalQuantile(1 - alpha / 2);
  const zb = normalQuantile(power);
  const num = za * Math.sqrt(2 * bar * (1 - bar)) + zb * Math.sqrt(lo * (1 - lo) + hi * (1 - hi));
  return Math.ceil((num * num) / (effect * effect));
}
