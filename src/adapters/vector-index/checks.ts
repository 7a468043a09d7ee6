import { IntentOpsError } from '../../core/errors.js';
import { l2normalize } from '../../core/vector/index.js';
import type { Neighbour } from '../../ports/vector-index.js';

/** Shared argument checks: every adapter must reject the same bad input the same way. */

export const MAX_DIM = 65_536;

const bad = (kind: string, message: string, hint?: string) =>
  new IntentOpsError('invalid_input', message, { where: `vector index (${kind})`, hint });

export function checkDim(kind: string, dim: unknown): number {
  if (!Number.isInteger(dim) || (dim as number) < 1 || (dim as number) > MAX_DIM) {
    throw bad(kind, `dim must be an integer in 1..${MAX_DIM}, got ${String(dim)}`);
  }
  return dim as number;
}

/** A positive-integer option, or its default. */
export function intOption(kind: string, options: Record<string, unknown>, name: string, fallback: number, min = 1): number {
  const v = options[name] ?? fallback;
  if (!Number.isInteger(v) || (v as number) < min || (v as number) > 0xffffffff) {
    throw new IntentOpsError('invalid_config', `option ${name} must be an integer >= ${min}, got ${String(v)}`, {
      where: `vector index (${kind})`,
    });
  }
  return v as number;
}

/** Validates a whole batch before anything is stored, so a bad row never leaves a half-added batch. */
export function checkBatch(kind: string, dim: number, vectors: readonly Float32Array[], labels: ArrayLike<number>): void {
  if (vectors.length !== labels.length) {
    throw bad(kind, `${vectors.length} vectors but ${labels.length} labels`, 'pass one label per vector');
  }
  for (let i = 0; i < vectors.length; i++) {
    const v = vectors[i];
    if (v.length !== dim) {
      throw bad(kind, `vector ${i} has dimension ${v.length}, index has ${dim}`, 'embed with the same model that built the index');
    }
    for (let j = 0; j < dim; j++) {
      if (!Number.isFinite(v[j])) throw bad(kind, `vector ${i} has a non-finite value at position ${j}`);
    }
    const l = labels[i];
    if (!Number.isInteger(l) || l < -0x80000000 || l > 0x7fffffff) {
      throw bad(kind, `label ${i} must be a 32-bit integer, got ${String(l)}`);
    }
  }
}

/** Checks a query and returns a unit-length copy of it and the number of results to return. */
export function prepareQuery(kind: string, dim: number, size: number, query: Float32Array, k: number): { q: Float32Array; k: number } {
  if (query.length !== dim) {
    throw bad(kind, `query has dimension ${query.length}, index has ${dim}`, 'embed with the same model that built the index');
  }
  if (!Number.isInteger(k) || k < 0) throw bad(kind, `k must be a non-negative integer, got ${String(k)}`);
  const q = Float32Array.from(query);
  for (let j = 0; j < dim; j++) {
    if (!Number.isFinite(q[j])) throw bad(kind, `query has a non-finite value at position ${j}`);
  }
  return { q: l2normalize(q), k: Math.min(k, size) };
}

/** Score descending, then id ascending: the deterministic order every adapter returns. */
export const byScoreThenId = (a: Neighbour, b: Neighbour): number => b.score - a.score || a.id - b.id;
