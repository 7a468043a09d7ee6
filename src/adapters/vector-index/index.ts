import { IntentOpsError } from '../../core/errors.js';
import type { VectorIndexFactory } from '../../ports/vector-index.js';
import { exactIndex } from './exact.js';
import { hnswIndex } from './hnsw.js';

/** Vector index backends by name; the keys are the valid `--index` / config values. */
export const vectorIndexes = Object.freeze({ exact: exactIndex, hnsw: hnswIndex } satisfies Record<string, VectorIndexFactory>);

export type VectorIndexKind = keyof typeof vectorIndexes;

/**
 * Below this many items exact search is preferred: it is exact, needs no native module and
 * builds instantly. Its cost is linear: on a 2-vCPU Xeon a k=10 query took ~6-8 ms at
 * 10k × 384/512 and ~11 ms at 20k × 384, against ~0.3-0.9 ms for HNSW (whose build takes seconds).
 */
export const EXACT_INDEX_MAX_ITEMS = 20_000;

/** The factory registered under `name`; an unknown name fails listing the valid ones. */
export function getVectorIndexFactory(name: string): VectorIndexFactory {
  if (!Object.hasOwn(vectorIndexes, name)) {
    const valid = Object.keys(vectorIndexes).join(', ');
    throw new IntentOpsError('invalid_config', `unknown vector index ${JSON.stringify(name)}; valid: ${valid}`, {
      where: 'vector index',
      hint: `choose one of: ${valid}`,
    });
  }
  return vectorIndexes[name as VectorIndexKind];
}

/** 'exact' for fewer than `threshold` items, else 'hnsw'. */
export function chooseIndexKind(n: number, threshold: number = EXACT_INDEX_MAX_ITEMS): VectorIndexKind {
  return n < threshold ? 'exact' : 'hnsw';
}

export { exactIndex } from './exact.js';
export { hnswIndex, makeHnswFactory, requireHnswlib } from './hnsw.js';
export type { HnswLib, HnswLoader } from './hnsw.js';
