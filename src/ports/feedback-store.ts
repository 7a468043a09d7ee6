/**
 * What a user or client said about a prediction: the correct intent and/or a rating. Stored
 * PII-redacted (the comment, if any); joined with the prediction log by `predictionId`.
 */
export interface Feedback {
  readonly id: string;
  readonly predictionId: string;
  /** The intent the message should have had (must be a known intent of the model). */
  readonly correctIntent?: string;
  /** -1 (wrong / bad), 0 (neutral) or 1 (right / good). */
  readonly rating?: -1 | 0 | 1;
  readonly comment?: string;
  /** Who gave it: API key name, CLI user. */
  readonly source: string;
  readonly at: string;
}

export type NewFeedback = Omit<Feedback, 'id' | 'at'>;

/** Feedback records. Adapters: SQLite (default), PostgreSQL. */
export interface FeedbackStore {
  add(f: NewFeedback): Promise<Feedback>;
  /** Oldest first; `since` inclusive ISO-8601. */
  list(q?: { since?: string; predictionId?: string; limit?: number }): Promise<Feedback[]>;
  /** How many records were given in [since, until) (without reading them), e.g. for `purge --dry-run`. Optional: callers fall back to list(). */
  count?(q?: { since?: string; until?: string }): Promise<number>;
  /** Deletes records older than `before` (ISO-8601); returns how many. */
  purge(before: string): Promise<number>;
  close(): Promise<void>;
}
