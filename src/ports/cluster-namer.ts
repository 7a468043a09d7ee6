import type { LlmUsage } from './llm.js';

/**
 * What intent discovery asks an LLM to name: a cluster of messages waiting for review (its most
 * central messages), its distinctive terms as a hint, and the intents the model already has (the
 * suggestion must be none of them).
 */
export interface ClusterNameRequest {
  readonly representatives: readonly string[];
  readonly terms: readonly string[];
  readonly existingIntents: readonly string[];
  /** For the provider's `user` field and logs (e.g. the cluster id). */
  readonly requestId?: string;
}

/**
 * The model's suggestion, as it gave it: the caller validates it (src/core/discovery/naming.ts:
 * a snake_case name that is no existing intent) and falls back to the distinctive terms.
 */
export interface ClusterNameAnswer {
  readonly name: string;
  readonly model: string;
  readonly usage: LlmUsage;
  readonly latencyMs: number;
}

/**
 * An LLM that suggests intent names for discovered clusters: a capability of its own beside the
 * classifying Llm (own prompt, deadline, circuit breaker), so a slow naming call never holds a
 * slot the serving fallback needs. Adapters live in src/adapters/llm. Failures (timeouts, server
 * errors after retries, open circuit, an answer without a name) throw IntentOpsError 'unavailable'.
 */
export interface ClusterNamer {
  readonly name: string;
  nameCluster(req: ClusterNameRequest, signal?: AbortSignal): Promise<ClusterNameAnswer>;
}
