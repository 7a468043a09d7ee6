import { IntentOpsError } from '../errors.js';

/**
 * How a registered model's traffic is split between its `champion` and `challenger` versions:
 * - `off`: the champion answers everything; the challenger is not loaded.
 * - `shadow`: the champion answers everything; the challenger scores the same messages in the
 *   background (no LLM call, no review item, no cache write) for comparison.
 * - `canary`: a share of clients (sticky by a hash of their key) is answered by the challenger.
 * - `ab`: as canary, usually at an even split, for the accuracy comparison of `rollout status`.
 */
export type RolloutMode = 'off' | 'shadow' | 'canary' | 'ab';

export const ROLLOUT_MODES: readonly RolloutMode[] = Object.freeze(['off', 'shadow', 'canary', 'ab']);

/** Modes in which the challenger answers some requests, and so needs a share. */
export const SPLIT_MODES: readonly RolloutMode[] = Object.freeze(['canary', 'ab']);

/** The share given to the challenger when none is named: a small canary, an even A/B split. */
export const DEFAULT_SHARE: Readonly<Record<'canary' | 'ab', number>> = Object.freeze({ canary: 0.05, ab: 0.5 });

export interface RolloutSetting {
  readonly mode: RolloutMode;
  /** Share of traffic answered by the challenger (canary, ab); 0 for off and shadow. */
  readonly share: number;
}

export function isRolloutMode(x: unknown): x is RolloutMode {
  return typeof x === 'string' && (ROLLOUT_MODES as readonly string[]).includes(x);
}

export function needsChallenger(mode: RolloutMode): boolean {
  return mode !== 'off';
}

/**
 * Validates a mode and share, filling in the default share for canary / ab. A share outside
 * [0, 1], an unknown mode, or a share for off / shadow (which send no traffic to the challenger)
 * fail with 'invalid_input' naming the field.
 *
 * @example
 *   checkRolloutSetting('canary', undefined) // { mode: 'canary', share: 0.05 }
 */
export function checkRolloutSetting(mode: unknown, share: unknown): RolloutSetting {
  if (!isRolloutMode(mode)) {
    throw new IntentOpsError('invalid_input', `unknown rollout mode ${JSON.stringify(mode)}`, { where: 'mode', hint: `use one of: ${ROLLOUT_MODES.join(', ')}` });
  }
  if (mode === 'canary' || mode === 'ab') {
    if (share === undefined || share === null) return { mode, share: DEFAULT_SHARE[mode] };
    if (typeof share !== 'number' || !Number.isFinite(share) || share < 0 || share > 1) {
      throw new IntentOpsError('invalid_input', `share must be a number from 0 to 1 (the fraction of traffic the challenger answers), got ${JSON.stringify(share)}`, { where: 'share', hint: 'e.g. 0.05 for 5 %' });
    }
    return { mode, share };
  }
  if (share !== undefined && share !== null && share !== 0) {
    throw new IntentOpsError('invalid_input', `share applies to canary and ab only; ${mode} sends no traffic to the challenger`, { where: 'share', hint: `drop the share, or use canary / ab` });
  }
  return { mode, share: 0 };
}
