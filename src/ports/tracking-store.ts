export type RunStatus = 'running' | 'finished' | 'failed';

/** Where a run executed; the caller fills it (the app layer reads the process). */
export interface RunEnvironment {
  readonly node: string;
  readonly platform: string;
  readonly arch: string;
  readonly cpus: number;
  readonly [key: string]: string | number;
}

/** Per-intent figures (precision, recall, f1, support, …) keyed by intent. */
export type PerIntentMetrics = Readonly<Record<string, Readonly<Record<string, number>>>>;

/** One experiment run (a training, an evaluation…): what went in, what came out, where it ran. */
export interface Run {
  /** Time-ordered (a lower-case ULID; runs recorded by earlier releases have UUIDv7 ids, which sort before them): sorting ids sorts runs by creation. */
  readonly id: string;
  readonly name: string;
  readonly status: RunStatus;
  readonly params: Readonly<Record<string, unknown>>;
  readonly data: { readonly hash: string | null; readonly report: Readonly<Record<string, unknown>> | null };
  /** Finite numbers only. */
  readonly metrics: Readonly<Record<string, number>>;
  /** {} when the run has no per-intent figures. */
  readonly perIntent: PerIntentMetrics;
  readonly durationMs: number | null;
  /** e.g. the git commit; resolved by the caller, null when unknown. */
  readonly codeVersion: string | null;
  readonly environment: RunEnvironment;
  /** Where the run wrote its model bundle, if it did. */
  readonly bundle: string | null;
  readonly tags: Readonly<Record<string, string>>;
  /** Set when the run failed. */
  readonly error: string | null;
  readonly createdAt: string;
  readonly finishedAt: string | null;
}

export interface NewRun {
  readonly name: string;
  readonly params?: Record<string, unknown>;
  readonly data?: { readonly hash: string | null; readonly report?: Record<string, unknown> | null };
  readonly metrics?: Record<string, number>;
  readonly perIntent?: PerIntentMetrics;
  readonly codeVersion?: string | null;
  readonly environment: RunEnvironment;
  readonly bundle?: string | null;
  readonly tags?: Record<string, string>;
  /** Defaults to 'running'; a run recorded after the fact may be created finished. */
  readonly status?: RunStatus;
  readonly durationMs?: number | null;
  readonly error?: string | null;
}

/**
 * A change to a run. `params`, `metrics`, `perIntent` and `tags` are merged into what is stored
 * (a later evaluation adds figures without repeating the training's); `data` replaces.
 * `status` may only leave 'running'; moving to 'finished' or 'failed' stamps finishedAt and,
 * unless given, durationMs.
 */
export interface RunPatch {
  readonly status?: Exclude<RunStatus, 'running'>;
  readonly params?: Record<string, unknown>;
  readonly data?: { readonly hash: string | null; readonly report?: Record<string, unknown> | null };
  readonly metrics?: Record<string, number>;
  readonly perIntent?: PerIntentMetrics;
  readonly durationMs?: number;
  readonly bundle?: string | null;
  readonly tags?: Record<string, string>;
  readonly error?: string | null;
}

export interface RunFilter {
  readonly status?: RunStatus;
  readonly name?: string;
  /** Only runs created before this run id (paging: pass the last id of the previous page). */
  readonly before?: string;
  /** Default 50, at most 1000. */
  readonly limit?: number;
}

/**
 * Experiment tracking, newest run first. Adapters: SQLite (`sqlite:PATH`, the default) and
 * PostgreSQL (`postgres://…`), chosen by URI in src/adapters/tracking. An unknown id fails
 * updateRun with 'not_found'; bad metrics (non-finite, non-numeric) fail with 'invalid_input'.
 */
export interface TrackingStore {
  createRun(run: NewRun): Promise<Run>;
  updateRun(id: string, patch: RunPatch): Promise<Run>;
  getRun(id: string): Promise<Run | undefined>;
  listRuns(filter?: RunFilter): Promise<Run[]>;
  close(): Promise<void>;
}
