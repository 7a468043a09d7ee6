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

/**
 * Groups of near-duplicates: the connected components of the given pairs (union–find).
 * `group[i]` is the smallest example index of i's component.
 */
export function duplicateGroups(n: number, pairs: Iterable<readonly [number, number]>): Int32Array {
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]];
      i = parent[i];
    }
    return i;
  };
  for (const [a, b] of pairs) {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
  const group = new Int32Array(n);
  for (let i = 0; i < n; i++) group[i] = find(i);
  return group;
}

/**
 * Stratified k-fold assignment that keeps each group (near-duplicates, paraphrases) in one
 * fold, so no held-out message has its twin in the training folds — the validation figures are
 * then those of new messages, not of paraphrases already seen. Groups are dealt like single
 * examples in stratifiedFolds, each label's groups shuffled, larger groups first within a label
 * so fold sizes stay even.
 */
export function groupedFolds(examples: readonly LabelledText[], group: Int32Array, k: number, seed: number): Int32Array {
  if (!Number.isInteger(k) || k < 2) {
    throw new IntentOpsError('invalid_input', `k-fold needs an integer k ≥ 2, got ${k}`, { where: 'folds' });
  }
  const members = new Map<number, number[]>();
  examples.forEach((_, i) => {
    const g = members.get(group[i]);
    if (g) g.push(i);
    else members.set(group[i], [i]);
  });
  const byLabel = new Map<string, number[][]>();
  for (const rows of members.values()) {
    const label = examples[rows[0]].label;
    const l = byLabel.get(label);
    if (l) l.push(rows);
    else byLabel.set(label, [rows]);
  }
  const rand = mulberry32(seed);
  const fold = new Int32Array(examples.length);
  const size = new Float64Array(k);
  for (const label of [...byLabel.keys()].sort()) {
    const groups = shuffled(byLabel.get(label)!, rand).sort((a, b) => b.length - a.length);
    for (const rows of groups) {
      // the currently smallest fold takes the group (ties: lowest fold id)
      let f = 0;
      for (let j = 1; j < k; j++) if (size[j] < size[f]) f = j;
      for (const i of rows) fold[i] = f;
      size[f] += rows.length;
    }
  }
  return fold;
}
