/*
 * The fixed bins of the top-class probability. Finer near 1, where most confident traffic lands
 * (a model at 97 % precision puts most answers above 0.9): equal-width bins would lump nearly
 * everything into one bin and hide a move from 0.99 to 0.92.
 */

/** Lower edges; the last bin is [0.99, 1]. */
export const CONFIDENCE_EDGES: readonly number[] = Object.freeze([0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98, 0.99]);
export const CONFIDENCE_BINS = CONFIDENCE_EDGES.length;

/** The bin of a confidence in [0, 1] (values outside are clamped; NaN goes to bin 0). Scans from the top: most traffic is there. */
export function confidenceBin(c: number): number {
  for (let i = CONFIDENCE_BINS - 1; i > 0; i--) if (c >= CONFIDENCE_EDGES[i]) return i;
  return 0;
}

/** Counts per confidence bin. */
export function confidenceHistogram(values: Iterable<number>): number[] {
  const out = new Array<number>(CONFIDENCE_BINS).fill(0);
  for (const v of values) out[confidenceBin(v)]++;
  return out;
}

/**
 * A confidence histogram recorded elsewhere (e.g. by the trainer, on held-out predictions), if
 * it uses these bins and holds counts; undefined otherwise (the caller then uses another reference).
 */
export function readConfidenceHistogram(v: unknown): number[] | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const { edges, counts } = v as { edges?: unknown; counts?: unknown };
  if (!Array.isArray(edges) || !Array.isArray(counts) || edges.length !== CONFIDENCE_BINS || counts.length !== CONFIDENCE_BINS) return undefined;
  if (!edges.every((e, i) => e === CONFIDENCE_EDGES[i])) return undefined;
  if (!counts.every((c) => typeof c === 'number' && Number.isFinite(c) && c >= 0)) return undefined;
  return counts.reduce((s: number, c: number) => s + c, 0) > 0 ? (counts as number[]) : undefined;
}
