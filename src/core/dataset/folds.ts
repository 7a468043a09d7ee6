import type { LabelledText } from '../types.js';
import { IntentOpsError } from '../errors.js';
import { mulberry32, shuffled } from './prng.js';

/**
 * Stratified k-fold assignment: `fold[i]` in 0..k-1 for every example. Each label's examples
 * are shuffled (seeded) and dealt round-robin, starting where the previous label stopped, so
 * folds get near-equal sizes and every label is spread across folds.
 *
 * @example
 *   const fold = stratifiedFolds(examples, 5, 42); // Int32Array of fold ids
 */
export function stratifiedFolds(examples: readonly LabelledText[], k: number, seed: number): Int32Array {
  if (!Number.isInteger(k) || k < 2) {
    throw new IntentOpsError('invalid_input', `k-fold needs an integer k ≥ 2, got ${k}`, { where: 'folds' });
  }
  const byLabel = new Map<string, number[]>();
  examples.forEach((e, i) => {
    const p = byLabel.get(e.label);
    if (p) p.push(i);
    else byLabel.set(e.label, [i]);
  });
  const rand = mulberry32(seed);
  const fold = new Int32Array(examples.length);
  let next = 0;
  for (const label of [...byLabel.keys()].sort()) {
    for (const i of shuffled(byLabel.get(label)!, rand)) {
      fold[i] = next;
      next = (next + 1) % k;
    }
  }
  return fold;
}
