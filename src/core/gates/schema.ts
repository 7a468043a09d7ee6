import { z } from 'zod';

/*
 * The quality-gates file. Every gate is optional, but a file must define at least one. Rates are
 * fractions in [0, 1] (0.85 = 85 %); regressions are absolute differences in the metric's own
 * unit (accuracy: 0.005 = 0.5 points; ECE: 0.01). Unknown keys are errors, so a typo never
 * silently disables a gate.
 */

const rate = z.number().min(0).max(1);

/** Largest allowed drop (or rise, for lower-is-better metrics) against the baseline, per metric. */
const maxRegression = z.strictObject({
  accuracy: rate.optional(),
  macroF1: rate.optional(),
  weightedF1: rate.optional(),
  acceptedPrecision: rate.optional(),
  coverage: rate.optional(),
  ece: rate.optional(),
  aurc: rate.optional(),
});

export const gatesSchema = z.strictObject({
  /** Format version of the gates file; 1 is the only one. */
  version: z.literal(1).optional(),
  minAccuracy: rate.optional(),
  minMacroF1: rate.optional(),
  /** Accuracy on the messages accepted at the bundle's thresholds. */
  minAcceptedPrecision: rate.optional(),
  /** Share of messages accepted at the bundle's thresholds. */
  minCoverage: rate.optional(),
  maxEce: rate.optional(),
  /** Recall floor for every intent (`default`) and per-intent overrides (`intents`). */
  minIntentRecall: z.strictObject({ default: rate.optional(), intents: z.record(z.string(), rate).optional() }).optional(),
  maxRegression: maxRegression.optional(),
  /** Fail when McNemar's test says the candidate makes significantly more errors than the baseline. */
  noSignificantRegression: z.boolean().optional(),
  /** Gates of `intentops llm eval --gates` (the LLM fallback), checked per variant; see core/gates/llm.ts. */
  llm: z
    .strictObject({
      /** Accuracy on the slice of messages the LLM answers. */
      minSliceAccuracy: rate.optional(),
      /** USD per 1,000 messages of traffic (rows the local model accepts cost nothing). */
      maxCostPer1k: z.number().min(0).optional(),
      /** Share of LLM answers that are not one intent (malformed, out of set). */
      maxInvalidRate: rate.optional(),
    })
    .optional(),
  /** Significance level of the McNemar test. */
  alpha: z.number().gt(0).lt(1).default(0.05),
});

export type Gates = z.infer<typeof gatesSchema>;
export type GatesInput = z.input<typeof gatesSchema>;
