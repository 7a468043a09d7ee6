/** Where an iteration of the loop stands: the next step due, or done. */
export type LoopState = 'collect' | 'retrain' | 'shadow' | 'judge' | 'promote' | 'done';
/** How a finished iteration ended: a new champion, stopped (alerted, reason given), or nothing to do. */
export type LoopOutcome = 'promoted' | 'stopped' | 'idle';

/** One pass of the loop for one registered model: labels → retrain → gate → challenger → shadow → promote. */
export interface LoopIteration {
  /** Increases with every iteration (across models); keys every step's idempotency. */
  readonly id: number;
  readonly name: string;
  readonly state: LoopState;
  readonly outcome: LoopOutcome | null;
  readonly reason: string | null;
  /** Labels (review + feedback) counted when the iteration collected them. */
  readonly labels: number | null;
  /** The challenger version this iteration registered. */
  readonly version: number | null;
  /** The champion the challenger was gated against (null: there was none). */
  readonly baseline: number | null;
  readonly shadowSince: string | null;
  readonly startedAt: string;
  readonly updatedAt: string;
  /** Bumped by every save: a save from a stale copy fails (two loops at once). */
  readonly revision: number;
  /** Figures behind the decisions (gate summary, shadow figures, labels held out). */
  readonly detail: Readonly<Record<string, unknown>>;
}

export type LoopPhase = 'start' | 'end';

/** A journal line: a step started, or ended with an outcome. */
export interface LoopEntry {
  readonly iteration: number;
  readonly step: string;
  readonly phase: LoopPhase;
  /** For `end`: ok, waiting, stopped, failed, skipped… */
  readonly outcome?: string | null;
  readonly detail?: string | null;
}

export interface LoopJournalEntry extends Required<LoopEntry> {
  readonly id: number;
  readonly at: string;
}

/**
 * The loop's persisted state and journal (src/adapters/loop: the registry's database, tables of
 * its own). Guarantees: at most one unfinished iteration per model (`begin` fails with 'conflict'
 * while one is open); `save` is a compare-and-set on `revision` ('conflict' when another run saved
 * first); the journal is append-only.
 */
export interface LoopStore {
  /** Iterations of a model, newest first. */
  iterations(name: string, opts?: { readonly limit?: number }): Promise<LoopIteration[]>;
  /** Starts a new iteration in state `collect`. */
  begin(name: string): Promise<LoopIteration>;
  /** Writes an iteration's state, figures and outcome; returns it with the next revision. */
  save(it: LoopIteration): Promise<LoopIteration>;
  record(entry: LoopEntry): Promise<void>;
  /** The journal of one iteration, oldest first. */
  journal(iteration: number): Promise<LoopJournalEntry[]>;
  close(): Promise<void>;
}
