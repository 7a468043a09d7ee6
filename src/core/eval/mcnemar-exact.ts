import { discordantPairs } from './mcnemar.js';

export interface ExactMcNemarResult {
  /** Examples A got wrong and B got right. */
  readonly b01: number;
  /** Examples A got right and B got wrong. */
  readonly b10: number;
  /** Two-sided exact p-value for "A and B have the same error rate" (1 when no pair is discordant). */
  readonly pValue: number;
}

/**
 * Two-sided exact binomial tail at p = 1/2, min(1, 2 * P(X <= min(k, n - k))), summed in log
 * space so it stays exact for any n (the plain product 2^-n underflows past n = 1074).
 */
export function exactBinomialHalf(k: number, n: number): number {
  if (n === 0) return 1;
  const m = Math.min(k, n - k);
  // log pmf(j) from log pmf(0) = -n ln 2; the terms grow with j up to n / 2, so the last is the largest
  const logs: number[] = [];
  let lp = -n * Math.LN2;
  for (let j = 0; j <= m; j++) {
    logs.push(lp);
    lp += Math.log(n - j) - Math.log(j + 1);
  }
  const top = logs[logs.length - 1];
  const sum = logs.reduce((s, l) => s + Math.exp(l - top), 0);
  return Math.min(1, 2 * Math.exp(top + Math.log(sum)));
}

/**
 * McNemar's exact test of two classifiers' paired correctness on the same examples: only the
 * discordant pairs count, and under "same error rate" each falls either way with probability
 * 1/2. Always exact (the binomial test), whatever the number of discordant pairs: LLM
 * evaluation slices are small and the exact test is cheap.
 *
 * @example
 * // 10 examples only B gets right, 2 only A gets right: p = 2 * 79 / 4096
 * mcnemarExact(aCorrect, bCorrect).pValue // 0.0386
 */
export function mcnemarExact(aCorrect: ArrayLike<boolean>, bCorrect: ArrayLike<boolean>): ExactMcNemarResult {
  const { b01, b10 } = discordantPairs('mcnemarExact', aCorrect, bCorrect);
  return { b01, b10, pValue: exactBinomialHalf(b01, b01 + b10) };
}
