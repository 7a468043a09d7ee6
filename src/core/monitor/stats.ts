/*
 * Distribution-shift statistics over binned counts (labels, confidence bins), pure and
 * allocation-light. The chi-square tail is the regularised upper incomplete gamma function,
 * computed here (series below a + 1, Lentz's continued fraction above, as in Numerical Recipes
 * §6.2) so the core needs no numeric dependency.
 */

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
  9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9): relative error about 1e-15. */
export function lnGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

const EPS = 1e-15;
const TINY = 1e-300;
const MAX_ITER = 10_000;

/** Q(a, x) = Γ(a, x) / Γ(a), the regularised upper incomplete gamma function (a > 0, x ≥ 0). */
export function gammaQ(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0)) return Number.NaN;
  if (x === 0) return 1;
  const front = Math.exp(-x + a * Math.log(x) - lnGamma(a));
  if (x < a + 1) {
    // P(a, x) by its power series; Q = 1 - P
    let ap = a;
    let term = 1 / a;
    let sum = term;
    for (let n = 0; n < MAX_ITER; n++) {
      ap += 1;
      term *= x / ap;
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * EPS) break;
    }
    return Math.min(1, Math.max(0, 1 - sum * front));
  }
  // Q(a, x) by its continued fraction (modified Lentz)
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < MAX_ITER; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPS) break;
  }
  return Math.min(1, Math.max(0, front * h));
}

/** P(X > x) for X ~ chi-square with `df` degrees of freedom. */
export function chiSquareSurvival(x: number, df: number): number {
  if (x <= 0) return 1;
  return gammaQ(df / 2, x / 2);
}

function total(c: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < c.length; i++) s += c[i];
  return s;
}

function sameBins(a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length || a.length === 0) throw new RangeError(`bin counts differ (${a.length} vs ${b.length}) or are empty`);
}

/**
 * Population stability index Σ (qᵢ − pᵢ) ln(qᵢ / pᵢ) between reference counts `ref` and live
 * counts `live` over the same bins. Both sides are smoothed with `alpha` added to every bin
 * (additive smoothing), so an empty bin on either side gives a large but finite term instead of
 * infinity. Rule of thumb: < 0.1 stable, 0.1–0.25 moderate shift, > 0.25 major shift.
 */
export function psi(ref: ArrayLike<number>, live: ArrayLike<number>, alpha = 0.5): number {
  sameBins(ref, live);
  const k = ref.length;
  const nr = total(ref) + alpha * k;
  const nl = total(live) + alpha * k;
  if (nr <= 0 || nl <= 0) return 0;
  let s = 0;
  for (let i = 0; i < k; i++) {
    const p = (ref[i] + alpha) / nr;
    const q = (live[i] + alpha) / nl;
    if (p > 0 && q > 0) s += (q - p) * Math.log(q / p);
  }
  return s;
}

export interface ChiSquareResult {
  readonly statistic: number;
  readonly df: number;
  readonly pValue: number;
}

/**
 * Pearson's goodness-of-fit test of live counts against the reference distribution: expected
 * counts are the live total times the reference shares (smoothed with `alpha` per bin, so a
 * class never seen in training still has a small expected count). df = bins − 1.
 */
export function chiSquareTest(ref: ArrayLike<number>, live: ArrayLike<number>, alpha = 0.5): ChiSquareResult {
  sameBins(ref, live);
  const k = ref.length;
  const nr = total(ref) + alpha * k;
  const n = total(live);
  if (n === 0 || nr <= 0 || k < 2) return { statistic: 0, df: Math.max(0, k - 1), pValue: 1 };
  let stat = 0;
  for (let i = 0; i < k; i++) {
    const e = (n * (ref[i] + alpha)) / nr;
    if (e > 0) stat += ((live[i] - e) * (live[i] - e)) / e;
  }
  return { statistic: stat, df: k - 1, pValue: chiSquareSurvival(stat, k - 1) };
}

/**
 * The two-sample Kolmogorov–Smirnov statistic D = max |F_ref − F_live| evaluated at the bin
 * edges: the exact D of the binned data, a lower bound of the D of the raw values.
 */
export function ksBinned(ref: ArrayLike<number>, live: ArrayLike<number>): number {
  sameBins(ref, live);
  const nr = total(ref);
  const nl = total(live);
  if (nr === 0 || nl === 0) return 0;
  let fr = 0;
  let fl = 0;
  let d = 0;
  for (let i = 0; i < ref.length; i++) {
    fr += ref[i] / nr;
    fl += live[i] / nl;
    d = Math.max(d, Math.abs(fr - fl));
  }
  return d;
}

/** The `q`-quantile (0..1) of `values` by linear interpolation between order statistics; NaN when empty. */
export function quantile(values: ArrayLike<number>, q: number): number {
  const n = values.length;
  if (n === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const pos = Math.min(1, Math.max(0, q)) * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}
