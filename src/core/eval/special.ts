/*
 * The two tail probabilities McNemar's test needs, written out so the core has no numeric
 * dependency: an exact two-sided binomial test at p = 1/2, and the chi-square(1) survival
 * function via the complementary error function.
 */

/**
 * Complementary error function, erfc(x) = 1 - erf(x), by the Chebyshev-fitted approximation
 * `erfcc` of Numerical Recipes in C (2nd ed., §6.2, after W. H. Press et al.): fractional error
 * below 1.2e-7 for every real x. That is ample for p-values, which are read to two or three
 * significant digits.
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const poly =
    -1.26551223 +
    t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const ans = t * Math.exp(-z * z + poly);
  return x >= 0 ? ans : 2 - ans;
}

/** P(X > s) for X ~ chi-square with 1 degree of freedom: X = Z^2, so P(|Z| > sqrt(s)) = erfc(sqrt(s / 2)). */
export function chiSquare1Survival(s: number): number {
  return s <= 0 ? 1 : erfc(Math.sqrt(s / 2));
}

/**
 * Two-sided exact binomial test of k successes in n trials against p = 1/2:
 * min(1, 2 * P(X <= min(k, n - k))). The distribution is symmetric, so doubling the smaller tail
 * is the same as summing every outcome at most as likely as the one observed. The pmf is built by
 * the recurrence pmf(j + 1) = pmf(j) * (n - j) / (j + 1) from 2^-n, which stays accurate while
 * 2^-n is a normal double (n <= 1022); McNemar only calls this for n < 25.
 */
export function binomialTwoSidedHalf(k: number, n: number): number {
  if (n === 0) return 1;
  const m = Math.min(k, n - k);
  let pmf = Math.pow(2, -n);
  let tail = 0;
  for (let j = 0; j <= m; j++) {
    tail += pmf;
    pmf = (pmf * (n - j)) / (j + 1);
  }
  return Math.min(1, 2 * tail);
}
