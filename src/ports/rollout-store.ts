import type { RolloutMode } from '../core/rollout/state.js';

/** How a registered model's traffic is split now (see core/rollout/state.ts for the modes). */
export interface RolloutState {
  /** The registered model name. */
  readonly name: string;
  readonly mode: RolloutMode;
  /** Share answered by the challenger (canary, ab); 0 for off and shadow. */
  readonly share: number;
  readonly updatedAt: string;
  readonly updatedBy: string;
  /** Why it was last changed. */
  readonly note: string | null;
}

export interface RolloutChange {
  readonly name: string;
  readonly mode: RolloutMode;
  readonly share: number;
  readonly who: string;
  readonly why?: string | null;
}

/** An audit log entry: every change of a model's rollout, from → to. */
export interface RolloutAudit {
  /** Increases with every change (across models). */
  readonly id: number;
  readonly name: string;
  /** null for the first change of a model (it was off). */
  readonly from: { readonly mode: RolloutMode; readonly share: number } | null;
  readonly to: { readonly mode: RolloutMode; readonly share: number };
  readonly who: string;
  readonly why: string | null;
  readonly at: string;
}

/**
 * Rollout state per registered model, shared by every serving replica, next to the registry
 * (same database, own tables). Adapters: SQLite, PostgreSQL (src/adapters/rollout). Guarantees:
 * a change and its audit entry are written together or not at all, and concurrent changes are
 * serialised, so each entry's `from` is the previous entry's `to`; the log is append-only.
 * Errors: a bad name, mode, share or missing `who` fail with 'invalid_input', writing nothing.
 */
export interface RolloutStore {
  /** undefined when the model's rollout was never set (it is off). */
  get(name: string): Promise<RolloutState | undefined>;
  set(change: RolloutChange): Promise<RolloutAudit>;
  /** Changes, newest first. */
  history(name: string, opts?: { readonly limit?: number }): Promise<RolloutAudit[]>;
  close(): Promise<void>;
}
