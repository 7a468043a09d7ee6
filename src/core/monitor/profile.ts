import { fitCentroids, type Centroids, type DistanceStats } from './centroids.js';
import { readConfidenceHistogram } from './histogram.js';
import { Vocabulary } from './vocabulary.js';

/**
 * What live traffic is compared with: the training data as the model saw it. Built once per
 * served model (at load time, from the bundle's examples) and read-only afterwards.
 */
export interface ReferenceProfile {
  readonly labels: readonly string[];
  /** Training examples per label, in label order. */
  readonly labelCounts: readonly number[];
  /**
   * Confidence histogram (CONFIDENCE_EDGES) of held-out predictions, when the bundle records
   * one. Training-set predictions are no substitute: the model is far surer of the texts it was
   * fitted on (BANKING77, hashed: 74 % of training texts above 0.99 against 52 % of test texts,
   * PSI 0.42 on perfectly in-distribution data; against the held-out histogram the test set
   * scores 0.017). Without it the monitor uses a live baseline (the first predictions served).
   */
  readonly confidence?: readonly number[];
  /** Share of held-out messages the routing policy accepted (the bundle's validation coverage). */
  readonly expectedAcceptedShare: number;
  readonly vocabulary: Vocabulary;
  /** Absent when no example was embedded (profileExamples: 0). */
  readonly centroids?: Centroids;
  /** Leave-one-out distances of the embedded examples to their class centroids. */
  readonly distance?: DistanceStats;
  readonly examples: number;
}

export interface ProfileInput {
  readonly labels: readonly string[];
  /** Every training example (text and label). */
  readonly examples: readonly { readonly text: string; readonly label: string }[];
  /** The bundle's validation coverage: share accepted by the routing policy on held-out data. */
  readonly coverage: number;
  /** A recorded held-out histogram `{ edges, counts }`; ignored unless it uses CONFIDENCE_EDGES. */
  readonly heldOutConfidence?: unknown;
  /** Dense embeddings of (a subset of) the examples with their class ids, for the centroids. */
  readonly embedded?: { readonly vectors: readonly Float32Array[]; readonly labels: ArrayLike<number> };
}

/**
 * @example
 *   const profile = buildProfile({ labels, examples, coverage: 0.81, embedded: { vectors, labels: ids } });
 */
export function buildProfile(input: ProfileInput): ReferenceProfile {
  const index = new Map(input.labels.map((l, i) => [l, i]));
  const labelCounts = new Array<number>(input.labels.length).fill(0);
  for (const e of input.examples) {
    const i = index.get(e.label);
    if (i !== undefined) labelCounts[i]++;
  }
  const fitted = input.embedded?.vectors.length ? fitCentroids(input.embedded.vectors, input.embedded.labels, input.labels.length) : undefined;
  const confidence = readConfidenceHistogram(input.heldOutConfidence);
  return {
    labels: input.labels,
    labelCounts,
    ...(confidence ? { confidence } : {}),
    expectedAcceptedShare: Math.min(1, Math.max(0, input.coverage)),
    vocabulary: Vocabulary.fromTexts(input.examples.map((e) => e.text)),
    ...(fitted && fitted.reference.n > 0 ? { centroids: fitted.centroids, distance: fitted.reference } : {}),
    examples: input.examples.length,
  };
}

/** The profile's figures, for reports and the API (no vectors, no vocabulary). */
export function describeProfile(p: ReferenceProfile) {
  return {
    examples: p.examples,
    labels: p.labels.length,
    confidenceReference: p.confidence ? ('held-out' as const) : ('live-baseline' as const),
    expectedAcceptedShare: p.expectedAcceptedShare,
    vocabulary: p.vocabulary.size,
    expectedOovShare: p.vocabulary.expectedOovShare,
    centroidDistance: p.distance ?? null,
  };
}
