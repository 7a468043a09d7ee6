import { CONFIDENCE_BINS } from './histogram.js';
import type { ReferenceProfile } from './profile.js';
import { chiSquareTest, ksBinned, psi, type ChiSquareResult } from './stats.js';
import type { Tally } from './window.js';

/** Every drift, quality and cost figure of one window of traffic against the reference profile. */
export interface Figures {
  readonly window: { readonly since: string; readonly until: string; readonly samples: number; readonly sampled: number };
  /** Predicted-label distribution against the training label distribution; null without traffic. */
  readonly labels: {
    readonly bins: number;
    readonly psi: number;
    readonly chi2: ChiSquareResult;
    /** The labels whose share moved most (expected = training share, observed = window share). */
    readonly shifts: readonly { readonly label: string; readonly expected: number; readonly observed: number }[];
  } | null;
  /** Top-probability histogram against held-out predictions or the live baseline; null while there is neither (or no traffic). */
  readonly confidence: { readonly bins: number; readonly psi: number; readonly ks: number; readonly reference: 'held-out' | 'live-baseline'; readonly referenceSamples: number } | null;
  /** Route shares; fallback = llm + review, expected = 1 − the bundle's validation coverage. */
  readonly routes: {
    readonly accepted: number;
    readonly llm: number;
    readonly review: number;
    readonly fallbackShare: number;
    readonly expectedFallbackShare: number;
  } | null;
  /** Mean share of unseen word tokens per sampled message; expected = leave-one-out share of the training texts. */
  readonly oov: { readonly share: number; readonly expected: number; readonly samples: number } | null;
  /** Cosine distance of sampled messages to their predicted class centroid; ratio = mean / reference mean. */
  readonly centroid: {
    readonly meanDistance: number;
    readonly referenceMean: number;
    readonly ratio: number;
    /** Share beyond the reference p95 (5 % expected). */
    readonly beyondP95Share: number;
    readonly samples: number;
  } | null;
  readonly llm: { readonly costUsd: number };
}

export interface FigureOptions {
  readonly since: number;
  readonly until: number;
  /** Confidence counts of the first live predictions, used when the profile has no held-out histogram. */
  readonly baseline?: ArrayLike<number>;
  /** How many label shifts to list. Default 5. */
  readonly shifts?: number;
}

const sum = (a: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
};

/**
 * @example
 *   const f = computeFigures(profile, window.totals(now).tally, { since, until: now });
 */
export function computeFigures(p: ReferenceProfile, t: Tally, o: FigureOptions): Figures {
  const n = t.n;
  const confRef = p.confidence ?? (o.baseline && sum(o.baseline) > 0 ? o.baseline : undefined);
  return {
    window: { since: new Date(o.since).toISOString(), until: new Date(o.until).toISOString(), samples: n, sampled: Math.max(t.oovN, t.distN) },
    labels: n ? { bins: p.labels.length, psi: psi(p.labelCounts, t.labels), chi2: chiSquareTest(p.labelCounts, t.labels), shifts: shifts(p, t, o.shifts ?? 5) } : null,
    confidence:
      n && confRef
        ? { bins: CONFIDENCE_BINS, psi: psi(confRef, t.confidence), ks: ksBinned(confRef, t.confidence), reference: p.confidence ? 'held-out' : 'live-baseline', referenceSamples: sum(confRef) }
        : null,
    routes: n
      ? { accepted: t.accepted / n, llm: t.llm / n, review: t.review / n, fallbackShare: (t.llm + t.review) / n, expectedFallbackShare: 1 - p.expectedAcceptedShare }
      : null,
    oov: t.oovN ? { share: t.oovSum / t.oovN, expected: p.vocabulary.expectedOovShare, samples: t.oovN } : null,
    centroid:
      t.distN && p.distance && p.distance.mean > 0
        ? {
            meanDistance: t.distSum / t.distN,
            referenceMean: p.distance.mean,
            ratio: t.distSum / t.distN / p.distance.mean,
            beyondP95Share: t.distBeyondP95 / t.distN,
            samples: t.distN,
          }
        : null,
    llm: { costUsd: t.costUsd },
  };
}

function shifts(p: ReferenceProfile, t: Tally, k: number) {
  const nr = sum(p.labelCounts);
  const out = p.labels.map((label, i) => ({ label, expected: nr ? p.labelCounts[i] / nr : 0, observed: t.labels[i] / t.n }));
  out.sort((a, b) => Math.abs(b.observed - b.expected) - Math.abs(a.observed - a.expected));
  return out.slice(0, k);
}
