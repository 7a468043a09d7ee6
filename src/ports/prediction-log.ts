import type { Route } from '../core/routing/policy.js';

/**
 * Which model of a rollout produced a prediction. `llm-shadow`: the LLM challenger variant's answer
 * to a message the champion variant answered (LLM shadow mode), under the answer's id; its `llm`
 * names the challenger variant and what it cost. It never reached the client.
 */
export type Variant = 'champion' | 'challenger' | 'shadow' | 'llm-shadow';

/**
 * One served prediction, as the monitors, feedback, A/B analysis and `purge` see it. Written
 * after the answer is sent (buffered), never holding up a request. `text` is present only when
 * storing texts is enabled, and is always PII-redacted before it gets here.
 */
export interface PredictionRecord {
  /** The id returned to the client as `id` (the key feedback refers to). */
  readonly id: string;
  /** ISO-8601 time the answer was produced. */
  readonly at: string;
  readonly model: { readonly name: string; readonly version: string };
  readonly variant: Variant;
  readonly intent: string;
  readonly confidence: number;
  readonly route: Route;
  readonly reason: string;
  readonly cached: boolean;
  readonly latencyMs: number;
  /**
   * The LLM fallback's call, when one answered: `variant` names the LLM variant that produced it
   * (`NAME@VERSION` for a registered variant, e.g. `classify-v2@3`; the prompt file's name such as
   * `classify-v1` when serving from a prompt file); absent on records written before it was logged.
   */
  readonly llm?: { readonly model: string; readonly variant?: string; readonly promptTokens: number; readonly completionTokens: number; readonly costUsd: number; readonly latencyMs?: number };
  /** Redacted message text (only when events.storeTexts is on). */
  readonly text?: string;
  /** Drift features computed at serving time (see core/monitor): share of unseen tokens, cosine distance to the predicted class centroid. */
  readonly features?: { readonly oovShare?: number; readonly centroidDistance?: number };
  /** The client key canary assignment was sticky on (hashed, never the raw key). */
  readonly subject?: string;
}

export interface PredictionQuery {
  /** Inclusive lower bound, ISO-8601. */
  readonly since?: string;
  /** Exclusive upper bound, ISO-8601. */
  readonly until?: string;
  readonly variant?: Variant;
  readonly limit?: number;
}

/**
 * The log of served predictions. Adapters: SQLite (default), PostgreSQL. `append` takes a batch
 * (one transaction); ids are unique per variant (a shadow record shares the champion's id).
 * Times are returned in one canonical form (`2025-01-31T12:00:00.000Z`).
 */
export interface PredictionLog {
  /**
   * All or nothing: a malformed record refuses the whole batch ('invalid_input' naming it). An
   * (id, variant) already logged keeps its first record, so a retried batch is harmless.
   */
  append(records: readonly PredictionRecord[]): Promise<void>;
  /** Without `variant`: the answer the client got (champion or challenger), else a shadow's. */
  get(id: string, variant?: Variant): Promise<PredictionRecord | undefined>;
  /** Oldest first (by `at`, then id); no `limit` means every match. */
  query(q?: PredictionQuery): Promise<PredictionRecord[]>;
  /** How many records match (without reading them), e.g. for `purge --dry-run`. Optional: callers fall back to query(). */
  count?(q?: Omit<PredictionQuery, 'limit'>): Promise<number>;
  /** Deletes records older than `before` (ISO-8601); returns how many. */
  purge(before: string): Promise<number>;
  close(): Promise<void>;
}
