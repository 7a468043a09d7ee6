import { IntentOpsError } from '../core/errors.js';

/** What the LLM fallback is asked: the message, the label set, and the nearest labelled examples. */
export interface LlmRequest {
  readonly text: string;
  readonly intents: readonly { readonly name: string; readonly description?: string }[];
  readonly examples: readonly { readonly text: string; readonly intent: string }[];
  /** Propagated request id, for logs and the provider's `user`/metadata fields. */
  readonly requestId?: string;
}

export interface LlmUsage {
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** From the configured price table; 0 when the model has no price. */
  readonly costUsd: number;
}

/**
 * The LLM's answer. `intent` is always one of the request's intents, or null when the model
 * said `none`. Anything else (out-of-set label, malformed output) is an error, not an answer.
 */
export interface LlmAnswer {
  readonly intent: string | null;
  readonly model: string;
  /** The LLM variant that answered: `NAME@VERSION` of a registered variant, else the prompt template's version. */
  readonly variant: string;
  readonly usage: LlmUsage;
  readonly latencyMs: number;
}

/**
 * A chat model used as the fallback classifier. Adapters live in src/adapters/llm. Failures
 * (timeouts, 5xx after retries, open circuit, out-of-set answers) throw IntentOpsError with
 * code 'unavailable'; callers route the message to review, never lose it.
 */
export interface Llm {
  readonly name: string;
  classify(req: LlmRequest, signal?: AbortSignal): Promise<LlmAnswer>;
}

/**
 * Thrown by an Llm (or a wrapper such as the daily budget cap) that declined to call the model
 * for a policy reason: the message goes to review with `reviewReason`, and it is not counted as
 * an LLM failure.
 */
export class LlmDeclined extends Error {
  constructor(
    readonly reviewReason: 'llm_budget',
    message: string,
  ) {
    super(message);
    this.name = 'LlmDeclined';
  }
}

/** Why an LLM call was never sent: the adapter protected the service (or the caller's deadline ran out while queued). */
export type LlmSkipReason = 'circuit_open' | 'queue_full' | 'deadline';

/**
 * The fallback ran out of time (`llm.deadlineMs` for the whole fallback: queue wait, attempts and
 * retry waits): the message goes to review with reason `llm_timeout`. `called`: whether any
 * attempt reached the server (a timeout in the queue called nobody).
 */
export class LlmTimeout extends IntentOpsError {
  constructor(
    message: string,
    readonly called: boolean,
    opts: { where?: string; hint?: string; cause?: unknown } = {},
  ) {
    super('unavailable', message, opts);
    this.name = 'LlmTimeout';
  }
}

/** The adapter refused to call the model (circuit open, queue full): nothing was sent or billed. */
export class LlmNotCalled extends IntentOpsError {
  constructor(
    readonly skipped: Exclude<LlmSkipReason, 'deadline'>,
    message: string,
    opts: { where?: string; hint?: string; cause?: unknown } = {},
  ) {
    super('unavailable', message, opts);
    this.name = 'LlmNotCalled';
  }
}

/**
 * The model answered, but not acceptably (out-of-set label, malformed output, refusal, cut at
 * maxTokens). Still `unavailable` for callers (the message goes to review); it carries the usage,
 * because the tokens were paid for.
 */
export class LlmAnswerError extends IntentOpsError {
  constructor(
    message: string,
    readonly usage: LlmUsage | undefined,
    readonly model: string | undefined,
    where?: string,
    /** The label the LLM answered when it was none of the listed intents (nor "none"): evidence of an intent the model lacks. */
    readonly offList?: string,
  ) {
    super('unavailable', message, { where, hint: 'the message goes to review; if this is frequent, check the model, prompt template and responseFormat' });
    this.name = 'LlmAnswerError';
  }
}
