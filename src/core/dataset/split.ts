import type { LabelledText } from '../types.js';
import { IntentOpsError } from '../errors.js';
import { mulberry32, shuffled } from './prng.js';

export interface SplitOptions {
  /** Share of each label sent to validation, in (0, 1). Default 0.1. */
  readonly valFraction?: number;
  /** Seed of the shuffle: same data + same seed = same split. */
  readonly seed: number;
}

export interface Split<T> {
  readonly train: T[];
  readonly val: T[];
}

/**
 * Stratified train/validation split. Every label with n >= 2 examples sends
 * max(1, round(n * valFraction)) of them to `val` but always keeps at least one in `train`;
 * a label with a single example stays in `train`. Both halves keep the input order.
 *
 * @example
 * const { train, val } = stratifiedSplit(examples, { valFraction: 0.2, seed: 7 });
 */
export function stratifiedSplit<T extends LabelledText>(examples: readonly T[], opts: SplitOptions): Split<T> {
  const valFraction = opts.valFraction ?? 0.1;
  if (!(Number.isFinite(valFraction) && valFraction > 0 && valFraction < 1)) {
    throw new IntentOpsError('invalid_input', `valFraction must be between 0 and 1 (exclusive), got ${valFraction}`, {
      where: 'valFraction',
      hint: 'use e.g. 0.1 to hold out 10% of each label',
    });
  }
  if (!Number.isInteger(opts.seed)) {
    throw new IntentOpsError('invalid_input', `seed must be an integer, got ${opts.seed}`, {
      where: 'seed',
      hint: 'pass a fixed integer such as 42 so the split can be reproduced',
    });
  }

  const byLabel = new Map<string, number[]>();
  examples.forEach((ex, i) => {
    const positions = byLabel.get(ex.label);
    if (positions) positions.push(i);
    else byLabel.set(ex.label, [i]);
  });

  // Labels in sorted order so the random stream does not depend on the input's label order.
  const rand = mulberry32(opts.seed);
  const inVal = new Set<number>();
  for (const label of [...byLabel.keys()].sort()) {
    const positions = byLabel.get(label)!;
    if (positions.length < 2) continue;
    const k = Math.min(positions.length - 1, Math.max(1, Math.round(positions.length * valFraction)));
    for (const i of shuffled(positions, rand).slice(0, k)) inVal.add(i);
  }

  const train: T[] = [];
  const val: T[] = [];
  examples.forEach((ex, i) => (inVal.has(i) ? val : train).push(ex));
  return { train, val };
}
