import { IntentOpsError } from '../errors.js';
import { mcnemar } from '../eval/mcnemar.js';
import { fisherExact, requiredPerArm, twoProportionZ, wilsonInterval } from './significance.js';

/** Labelled outcomes of one version: how many were judged, how many it got right. */
export interface ArmOutcomes {
  readonly n: number;
  readonly correct: number;
}

/** The same messages judged for both versions (shadow scoring + feedback naming the right intent). */
export interface PairedOutcomes {
  readonly n: number;
  /** Only the challenger was right. */
  readonly challengerOnly: number;
  /** Only the champion was right. */
  readonly championOnly: number;
}

export interface AbRule {
  /** Significance level of the two-sided tests. */
  readonly alpha: number;
  /** Labelled outcomes needed per arm (or pairs) before any verdict. */
  readonly minSamples: number;
  /** The smallest accuracy difference worth acting on (0.02 = 2 points). */
  readonly minEffect: number;
  /** Probability of detecting `minEffect` when it is there. */
  readonly power: number;
}

export const DEFAULT_AB_RULE: AbRule = Object.freeze({ alpha: 0.05, minSamples: 100, minEffect: 0.02, power: 0.8 });

export type Recommendation = 'promote' | 'keep champion' | 'need more data';

export interface ArmSummary extends ArmOutcomes {
  readonly accuracy: number | null;
  /** Wilson interval at 1 - alpha. */
  readonly interval: [number, number] | null;
}

export interface AbResult {
  readonly champion: ArmSummary;
  readonly challenger: ArmSummary;
  /** Challenger accuracy minus champion accuracy. */
  readonly difference: number | null;
  /** Independent samples: the z-test, and Fisher's exact test (used when an expected cell is below 5). */
  readonly unpaired: { readonly test: 'two-proportion z' | 'fisher exact'; readonly z: number; readonly pValue: number; readonly fisherPValue: number } | null;
  /** Paired samples: McNemar's test on the messages both versions were judged on. */
  readonly paired: (PairedOutcomes & { readonly pValue: number; readonly difference: number }) | null;
  /** Which test the recommendation rests on. */
  readonly basis: 'paired' | 'unpaired' | null;
  /** Outcomes per arm needed to detect `minEffect` at `alpha` with `power`, from the champion's accuracy. */
  readonly requiredPerArm: number | null;
  readonly rule: AbRule;
  readonly recommendation: Recommendation;
  /** The recommendation in one sentence, with the numbers behind it. */
  readonly reason: string;
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
const pts = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(1)} pts`;
const pv = (p: number) => (p < 0.001 ? 'p < 0.001' : `p = ${p.toPrecision(2)}`);

function summary(a: ArmOutcomes, alpha: number): ArmSummary {
  return { n: a.n, correct: a.correct, accuracy: a.n ? a.correct / a.n : null, interval: wilsonInterval(a.correct, a.n, alpha) };
}

function checkRule(r: AbRule): void {
  const bad = (field: string, what: string) => new IntentOpsError('invalid_input', `${field} must be ${what}`, { where: `rollout.${field}` });
  if (!(r.alpha > 0 && r.alpha < 0.5)) throw bad('alpha', 'in (0, 0.5)');
  if (!(Number.isInteger(r.minSamples) && r.minSamples >= 1)) throw bad('minSamples', 'a positive integer');
  if (!(r.minEffect > 0 && r.minEffect < 1)) throw bad('minEffect', 'in (0, 1)');
  if (!(r.power > 0 && r.power < 1)) throw bad('power', 'in (0, 1)');
}

/**
 * The A/B verdict on labelled outcomes of champion and challenger. The rule:
 *
 * 1. Basis: paired outcomes (McNemar) when there are at least `minSamples` pairs, else the
 *    independent samples (z-test; Fisher's exact test when an expected cell count is below 5),
 *    which need at least `minSamples` outcomes in each arm. Fewer: **need more data**.
 * 2. p < alpha: **promote** when the challenger is more accurate, **keep champion** when less.
 * 3. p >= alpha: **keep champion** once each arm has the outcomes needed to detect a
 *    difference of `minEffect` (power `power`): no difference worth a switch was found.
 *    Before that: **need more data**, saying how many outcomes are still missing.
 *
 * @example
 *   abDecision({ champion: { n: 400, correct: 352 }, challenger: { n: 400, correct: 376 } }).recommendation // 'promote'
 */
export function abDecision(o: { champion: ArmOutcomes; challenger: ArmOutcomes; paired?: PairedOutcomes; rule?: Partial<AbRule> }): AbResult {
  const rule: AbRule = { ...DEFAULT_AB_RULE, ...o.rule };
  checkRule(rule);
  const champion = summary(o.champion, rule.alpha);
  const challenger = summary(o.challenger, rule.alpha);
  const difference = champion.accuracy !== null && challenger.accuracy !== null ? challenger.accuracy - champion.accuracy : null;

  let unpaired: AbResult['unpaired'] = null;
  if (champion.n > 0 && challenger.n > 0) {
    const { z, pValue } = twoProportionZ(champion.correct, champion.n, challenger.correct, challenger.n);
    const fisherPValue = fisherExact(champion.correct, champion.n, challenger.correct, challenger.n);
    const N = champion.n + challenger.n;
    const right = champion.correct + challenger.correct;
    const expected = [champion.n, challenger.n].flatMap((n) => [(n * right) / N, (n * (N - right)) / N]);
    const small = expected.some((e) => e < 5);
    unpaired = { test: small ? 'fisher exact' : 'two-proportion z', z, pValue: small ? fisherPValue : pValue, fisherPValue };
  }

  let paired: AbResult['paired'] = null;
  const pr = o.paired;
  if (pr && pr.n > 0) {
    if (!(pr.challengerOnly >= 0 && pr.championOnly >= 0 && pr.challengerOnly + pr.championOnly <= pr.n)) {
      throw new IntentOpsError('invalid_input', 'paired outcomes: the discordant counts exceed the pairs', { where: 'abDecision(paired)' });
    }
    // McNemar only reads the discordant pairs: rebuild them as two correctness vectors
    const a = new Array<boolean>(pr.n).fill(true);
    const b = new Array<boolean>(pr.n).fill(true);
    for (let i = 0; i < pr.challengerOnly; i++) a[i] = false;
    for (let i = 0; i < pr.championOnly; i++) b[pr.challengerOnly + i] = false;
    paired = { ...pr, pValue: mcnemar(a, b).pValue, difference: (pr.challengerOnly - pr.championOnly) / pr.n };
  }

  const required = champion.accuracy !== null ? requiredPerArm(champion.accuracy, rule.minEffect, rule.alpha, rule.power) : null;
  const base = { champion, challenger, difference, unpaired, paired, requiredPerArm: required, rule };

  const basis: AbResult['basis'] = paired && paired.n >= rule.minSamples ? 'paired' : champion.n >= rule.minSamples && challenger.n >= rule.minSamples && unpaired ? 'unpaired' : null;
  if (!basis) {
    const missing = Math.max(0, rule.minSamples - champion.n) + Math.max(0, rule.minSamples - challenger.n);
    return {
      ...base,
      basis,
      recommendation: 'need more data',
      reason: `at least ${rule.minSamples} labelled outcomes per version are needed before any verdict (have ${champion.n} champion, ${challenger.n} challenger${paired ? `, ${paired.n} paired` : ''}): ${missing} more`,
    };
  }
  const p = basis === 'paired' ? paired!.pValue : unpaired!.pValue;
  const diff = basis === 'paired' ? paired!.difference : difference!;
  const test = basis === 'paired' ? `McNemar on ${paired!.n} paired messages` : `${unpaired!.test} test on ${champion.n} + ${challenger.n} outcomes`;
  const figures = `champion ${pct(champion.accuracy!)}, challenger ${pct(challenger.accuracy!)}, ${pts(diff)}, ${pv(p)} (${test})`;
  if (p < rule.alpha) {
    return diff > 0
      ? { ...base, basis, recommendation: 'promote', reason: `the challenger is significantly more accurate: ${figures}` }
      : { ...base, basis, recommendation: 'keep champion', reason: `the challenger is significantly less accurate: ${figures}` };
  }
  const have = basis === 'paired' ? paired!.n : Math.min(champion.n, challenger.n);
  if (required !== null && have >= required) {
    return { ...base, basis, recommendation: 'keep champion', reason: `no significant difference with enough data to detect ${pts(rule.minEffect).slice(1)} (${have} ≥ ${required} per arm): ${figures}` };
  }
  return { ...base, basis, recommendation: 'need more data', reason: `no significant difference yet; detecting ${pts(rule.minEffect).slice(1)} needs ${required} outcomes per arm (have ${have}): ${figures}` };
}
