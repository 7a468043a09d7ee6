import { sameNonEmptyLength } from './validate.js';
import { binomialTwoSidedHalf, chiSquare1Survival } from './special.js';

export interface McNemarResult {
  /** Examples model A got wrong and model B got right. */
  readonly b01: number;
  /** Examples model A got right and model B got wrong. */
  readonly b10: number;
  /**
   * Exact branch: min(b01, b10), the binomial test statistic (as statsmodels reports it).
   * Chi-square branch: (|b01 - b10| - 1)^2 / (b01 + b10), floored at 0.
   */
  readonly statistic: number;
  /** Two-sided p-value for "A and B have the same error rate". */
  readonly pValue: number;
}

/** Discordant-pair count from which the chi-square approximation replaces the exact test. */
const EXACT_BELOW = 25;

/** The discordant pairs of two classifiers' paired correctness (b01: only B right; b10: only A right). */
export function discordantPairs(fn: string, aCorrect: ArrayLike<boolean>, bCorrect: ArrayLike<boolean>): { b01: number; b10: number } {
  const n = sameNonEmptyLength(fn, aCorrect, bCorrect, ['aCorrect', 'bCorrect']);
  let b01 = 0;
  let b10 = 0;
  for (let i = 0; i < n; i++) {
    const a = Boolean(aCorrect[i]);
    const b = Boolean(bCorrect[i]);
    if (!a && b) b01 += 1;
    else if (a && !b) b10 += 1;
  }
  return { b01, b10 };
}

/**
 * McNemar's test on paired predictions of two models over the same examples. Only discordant
 * pairs matter. With fewer than 25 of them the exact binomial test is used (the chi-square
 * approximation is poor there); otherwise the chi-square test with Edwards' continuity
 * correction, whose |b01 - b10| - 1 is floored at 0 so equal counts give statistic 0 and p = 1.
 *
 * @example
 * // 10 examples only B gets right, 2 only A gets right: exact p = 2 * 79 / 4096
 * mcnemar(aCorrect, bCorrect).pValue // 0.0386
 */
export function mcnemar(aCorrect: ArrayLike<boolean>, bCorrect: ArrayLike<boolean>): McNemarResult {
  const { b01, b10 } = discordantPairs('mcnemar', aCorrect, bCorrect);
  const discordant = b01 + b10;
  if (discordant < EXACT_BELOW) {
    return { b01, b10, statistic: Math.min(b01, b10), pValue: binomialTwoSidedHalf(b01, discordant) };
  }
  const diff = Math.max(0, Math.abs(b01 - b10) - 1);
  const statistic = (diff * diff) / discordant;
  return { b01, b10, statistic, pValue: chiSquare1Survival(statistic) };
}
