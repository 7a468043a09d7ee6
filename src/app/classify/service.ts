import { hash, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Cache } from '../../ports/cache.js';
import { LlmAnswerError, LlmDeclined, LlmNotCalled, LlmTimeout, type Llm, type LlmAnswer, type LlmRequest, type LlmSkipReason, type LlmUsage } from '../../ports/llm.js';
import type { Variant } from '../../ports/prediction-log.js';
import type { ReviewItem, ReviewReason, ReviewStore } from '../../ports/review-store.js';
import { chooseArm, type Arm } from '../../core/rollout/assign.js';
import type { RolloutMode } from '../../core/rollout/state.js';
import type { RolloutStats } from '../../core/rollout/stats.js';
import type { Route } from '../../core/routing/policy.js';
import { ContestedIntents, type ContestedOptions } from '../../core/routing/contested.js';
import type { IntentModel, ModelId, Prediction } from './model.js';
import { LlmShadowRunner, type LlmShadow } from './llm-shadow.js';
import type { ReviewParaphrases } from './paraphrases.js';

export type { LlmShadow } from './llm-shadow.js';

export interface ClassifyInput {
  readonly text: string;
  readonly id?: string;
  readonly requestId?: string;
  /** A stable client key (API key name, tenant, user) that rollout splits stick to; never logged raw. */
  readonly subject?: string;
}

export interface ClassifyResult {
  readonly id: string;
  readonly intent: string;
  /**
   * The calibrated probability of `intent`, from the model that chose it: the local model's for
   * accepted and review routes; null on route llm, where the LLM chose the intent and gives no
   * probability. The local model's own figures are always in `local`.
   */
  readonly confidence: number | null;
  /**
   * The local model's top intent and its calibrated probability, whatever the route, and its own
   * routing reason (confident, low_confidence, …, contested: why it answered or asked; absent in
   * answers cached before this field existed).
   */
  readonly local: { readonly intent: string; readonly confidence: number; readonly reason?: string };
  readonly route: Route;
  readonly reason: string;
  readonly outOfScope: boolean;
  readonly alternatives: Prediction['alternatives'];
  readonly neighbours: Prediction['neighbours'];
  /** The version that produced the result: see modelIdentity. */
  readonly model: ModelId;
  /** champion or challenger (the answer); shadow for the challenger's background score (observers only). */
  readonly variant: Variant;
  /** The LLM call that answered: its model, the LLM variant (`NAME@VERSION` of a registered variant, else the prompt file's version), tokens, cost and latency. */
  readonly llm?: { readonly model: string; readonly variant: string; readonly promptTokens: number; readonly completionTokens: number; readonly costUsd: number; readonly latencyMs: number };
  /** The review item the message was queued as; `pending` while the review store is away (the item waits in a local spool and is written when it is back). Absent when the queue was full (review.maxOpen). */
  readonly review?: { readonly id: string; readonly pending?: true };
  readonly cached: boolean;
  readonly timings: { readonly modelMs: number; readonly llmMs: number; readonly totalMs: number };
}

/** What the service reports to telemetry (metrics, logs); implemented at the edge. */
export interface ClassifyObserver {
  /** Called once per message with its result and the input it answered (text included: observers must not log or store it unredacted). */
  onResult(r: ClassifyResult, input: ClassifyInput): void;
  /**
   * Shadow rollout: the challenger's score (`variant: 'shadow'`, same id, no LLM call, no review
   * item, route = what it would have done) of a message the champion answered. Called after the
   * answer was sent, from a bounded background queue.
   */
  onShadow?(champion: ClassifyResult, shadow: ClassifyResult, input: ClassifyInput): void;
  /** Shadow scoring failed (the answers were not affected). */
  onShadowError?(e: unknown): void;
  /**
   * LLM shadow mode: the challenger variant's answer (`variant: 'llm-shadow'`, same id, its `llm`
   * naming the challenger variant) to a message the champion variant answered. Called after the
   * answer was sent, off the request path.
   */
  onLlmShadow?(answer: Omit<ClassifyResult, 'timings'>, shadow: ClassifyResult, input: ClassifyInput): void;
  /** The LLM fallback failed or was refused (circuit open, queue full, deadline): the message went to review. */
  onLlmError?(e: unknown): void;
  /** Every LLM fallback of a message: a call that was made, or one that never was (and why). */
  onLlm?(e: LlmEvent): void;
  /** The cache could not be read or written: the message was classified without it. */
  onCacheError?(e: unknown): void;
  /** An intent became contested or was cleared (its unknown LLM answers among the latest it remembers). */
  onContested?(e: { readonly intent: string; readonly state: 'contested' | 'cleared'; readonly unknown: number; readonly answers: number; readonly model: ModelId }): void;
}

/** What became of one message's LLM fallback. */
export type LlmEvent =
  | { readonly called: true; readonly outcome: 'answered' | 'none' | 'error' | 'timeout'; readonly model: string; readonly usage?: LlmUsage; readonly latencyMs: number }
  | { readonly called: false; readonly skipped: LlmSkipReason | 'budget' };

export type { ModelId } from './model.js';

/**
 * What a rollout routes between (see core/rollout): read once per batch and replaced as a whole
 * when anything changes, so no request sees a half-loaded model or a mix of two rollouts.
 */
export interface ServingArms {
  /** The registered model name: the namespace of the sticky assignment. */
  readonly name: string;
  /** The mode in effect (off when the challenger it needs is missing). */
  readonly mode: RolloutMode;
  readonly share: number;
  readonly champion: IntentModel;
  /** Loaded only while the mode needs it. */
  readonly challenger?: IntentModel;
  /** This process's figures for this champion/challenger pair (`rollout status`). */
  readonly stats?: RolloutStats;
}

export interface ClassifyDeps {
  /** Returns the model to use now: may change between calls (hot swap). */
  readonly model: () => IntentModel;
  /** A registry rollout: when given, it decides which model answers (and `model` is not used). */
  readonly arms?: () => ServingArms;
  /** Messages that may wait for shadow scoring; beyond that shadow scoring is skipped (default 1024). */
  readonly shadowQueue?: number;
  /** Draws the arm of requests without a client key (default Math.random). */
  readonly random?: () => number;
  readonly llm?: Llm;
  readonly review?: ReviewStore;
  /** Groups paraphrases of a waiting review item into it (review.groupParaphrases); absent: only repeats of a text are grouped. */
  readonly paraphrases?: ReviewParaphrases;
  /** Applied to texts before they are stored in the review queue (PII redaction). */
  readonly redact?: (text: string) => string;
  readonly cache?: Cache<CachedAnswer>;
  readonly cacheTtlMs?: number;
  readonly observer?: ClassifyObserver;
  /**
   * Share of out-of-scope answers (the LLM said `none` or an out-of-scope label) also queued for
   * review, to audit the LLM's `none`s (default 0.05); the rest are answers, not review work.
   */
  readonly outOfScopeSampleRate?: number;
  /**
   * Whether an LLM answer (not out of scope) is also queued for review as an `llm_check` item, the
   * LLM's intent as the guess, for a person to confirm or correct (review.llmCheckSampleRate;
   * decided from the message text, so one text is either always checked or never). Absent: none.
   */
  readonly llmCheck?: (text: string) => boolean;
  /** LLM shadow mode, read per message (it may be turned on or off while serving): see LlmShadow. */
  readonly llmShadow?: () => LlmShadow | undefined;
  /**
   * Contested intents (llm.contested): an intent the LLM keeps answering, for messages guessed as
   * it, with intents the model does not know has its confident answers sent to the LLM too, per
   * model version (core/routing/contested.ts). `false` turns it off. Default: on, with its defaults.
   */
  readonly contested?: ContestedOptions | false;
}

export type CachedAnswer = Omit<ClassifyResult, 'id' | 'cached' | 'timings' | 'review'>;

/** Marks a loaded model as a registry version (IntentModel.serveAs). */
export function serveAs(m: IntentModel, id: ModelId): IntentModel {
  return m.serveAs(id);
}

/** The model's identity in responses (IntentModel.identity). */
export function modelIdentity(m: IntentModel): ModelId {
  return m.identity;
}

/**
 * Whether a result's review item is a check of the LLM's answer (reason `llm_check`,
 * review.llmCheckSampleRate): an answered LLM message queues an item for no other reason.
 */
export function queuedForLlmCheck<R extends Pick<ClassifyResult, 'route' | 'reason' | 'review'>>(r: R): r is R & { review: NonNullable<R['review']> } {
  return r.review !== undefined && r.route === 'llm' && r.reason === 'llm_answered';
}

/** Cache key: model version + normalised text, hashed (no raw text, no secrets in keys). */
export function cacheKey(version: string, text: string): string {
  const norm = text.normalize('NFC').trim().replace(/\s+/g, ' ').toLowerCase();
  return `cls:${version}:${hash('sha256', norm, 'hex').slice(0, 40)}`;
}

/**
 * Background work that must never hold up or fail a request: jobs run one at a time after the
 * answers have gone out (setImmediate yields to I/O first), at most `max` messages wait, and
 * what does not fit is dropped (and counted by the caller), never queued without bound.
 */
class ShadowQueue {
  private pending = 0;
  private tail: Promise<void> = Promise.resolve();
  constructor(
    private readonly max: number,
    private readonly onError: (e: unknown) => void,
  ) {}

  offer(size: number, job: () => Promise<void>): boolean {
    if (this.pending + size > this.max) return false;
    this.pending += size;
    this.tail = this.tail
      .then(() => new Promise<void>((r) => setImmediate(r)))
      .then(job)
      .catch(this.onError)
      .then(() => void (this.pending -= size));
    return true;
  }

  idle(): Promise<void> {
    return this.tail;
  }
}

/**
 * The classify use case: cache → model → routing → LLM fallback → review queue. A message is
 * never lost: an LLM failure or timeout, or no LLM at all, send it to review with the best guess;
 * a review-store failure propagates (the caller must know the message was not queued). An LLM
 * `none` (or out-of-scope label) is an answer: `outOfScope: true`, reason out_of_scope, and only a
 * sample of them is queued for review (outOfScopeSampleRate).
 *
 * Under a registry rollout (`arms`) each message is answered by the champion or, in canary / ab,
 * by the challenger when its client key (`subject`) falls in the challenger's share; in shadow
 * mode the challenger scores the same messages afterwards, off the request path.
 */
export class ClassifyService {
  private readonly shadows: ShadowQueue;
  private readonly random: () => number;
  private readonly llmShadows: LlmShadowRunner<Omit<ClassifyResult, 'timings'>, ClassifyResult, ClassifyInput>;
  /** Contested intents per served model version (weights hash); the latest few versions only. */
  private readonly contestedBy = new Map<string, ContestedIntents>();

  constructor(private readonly deps: ClassifyDeps) {
    this.shadows = new ShadowQueue(deps.shadowQueue ?? 1024, (e) => deps.observer?.onShadowError?.(e));
    this.random = deps.random ?? Math.random;
    this.llmShadows = new LlmShadowRunner(this.random, {
      onShadow: (a, s, i) => deps.observer?.onLlmShadow?.(a, s, i),
      onError: (e) => deps.observer?.onShadowError?.(e),
    });
  }

  get llmAvailable(): boolean {
    return this.deps.llm !== undefined;
  }

  /** Resolves once the shadow scoring queued so far is done (tests, graceful shutdown). */
  shadowIdle(): Promise<void> {
    return Promise.all([this.shadows.idle(), this.llmShadows.idle()]).then(() => undefined);
  }

  async classifyBatch(inputs: readonly ClassifyInput[]): Promise<ClassifyResult[]> {
    const t0 = performance.now();
    const arms = this.deps.arms?.();
    if (!arms) return this.answer(this.deps.model(), 'champion', inputs, t0);
    const picks: Arm[] = inputs.map((i) => chooseArm({ mode: arms.mode, share: arms.share, model: arms.name, hasChallenger: arms.challenger !== undefined, subject: i.subject, random: this.random }));
    let results: ClassifyResult[];
    if (!picks.includes('challenger')) {
      results = await this.answer(arms.champion, 'champion', inputs, t0, arms.stats);
    } else {
      results = new Array<ClassifyResult>(inputs.length);
      await Promise.all(
        (['champion', 'challenger'] as const).map(async (arm) => {
          const idx = picks.flatMap((p, i) => (p === arm ? [i] : []));
          if (!idx.length) return;
          const rs = await this.answer(arm === 'champion' ? arms.champion : arms.challenger!, arm, idx.map((i) => inputs[i]), t0, arms.stats);
          idx.forEach((i, j) => (results[i] = rs[j]));
        }),
      );
    }
    if (arms.mode === 'shadow' && arms.challenger) this.shadow(arms.challenger, inputs, results, arms.stats);
    return results;
  }

  private async answer(model: IntentModel, variant: Arm, inputs: readonly ClassifyInput[], t0: number, stats?: RolloutStats): Promise<ClassifyResult[]> {
    if (inputs.length === 1) return [await this.answerOne(model, variant, inputs[0], t0, stats)];
    const ident = modelIdentity(model);
    // no cache, no hashing: the key is a sha256 of the text, about a tenth of a hashed-model classify
    const keys = this.deps.cache ? inputs.map((i) => cacheKey(model.weightsVersion, i.text)) : [];
    const cached = this.deps.cache ? await Promise.all(keys.map(async (k) => this.usable(model, await this.cacheGet(k)))) : [];
    const todo = inputs.map((_, i) => i).filter((i) => !cached[i]);
    const staged = todo.length ? await model.classifyInStages(todo.map((i) => inputs[i].text), { llmAvailable: this.llmAvailable, contested: this.contestedFor(model) }) : undefined;
    // a message the model itself sends to review needs no neighbours for its item: the item is
    // added as soon as the route is decided, while the neighbours are still being searched
    const early = new Map<number, Promise<ReviewItem>>();
    if (this.deps.review) {
      staged?.decided.forEach((p, j) => {
        if (p.route !== 'review') return;
        const added = this.addReview(model, inputs[todo[j]], p, ident, p.reason as ReviewReason);
        added.catch(() => undefined); // awaited (and its failure reported) in finish
        early.set(todo[j], added);
      });
    }
    const preds = staged ? await staged.complete : [];
    const modelMs = performance.now() - t0;
    const byIndex = new Map(todo.map((i, j) => [i, preds[j]]));
    return Promise.all(
      inputs.map(async (input, i) => {
        const id = input.id ?? randomUUID();
        const hit = cached[i];
        if (hit) {
          // nothing was called for this request, so no LLM usage is reported (or counted)
          const { llm: _llm, ...answer } = hit;
          const r: ClassifyResult = { ...answer, model: ident, variant, id, cached: true, timings: { modelMs: 0, llmMs: 0, totalMs: performance.now() - t0 } };
          stats?.answered(variant, r);
          this.deps.observer?.onResult(r, input);
          return r;
        }
        const r = await this.finish(model, ident, variant, input, id, byIndex.get(i)!, t0, modelMs, early.get(i));
        // review items are per message: only answers (accepted, llm) are reused
        if (this.deps.cache && r.route !== 'review') {
          const { id: _id, cached: _c, timings: _t, review: _r, ...answer } = r;
          await this.deps.cache.set(keys[i], answer, this.deps.cacheTtlMs ?? 3_600_000).catch((e: unknown) => this.deps.observer?.onCacheError?.(e));
        }
        stats?.answered(variant, r);
        this.deps.observer?.onResult(r, input);
        return r;
      }),
    );
  }

  /** answer() for one message (POST /v1/classify): the same steps, without the per-batch arrays, maps and Promise.all. */
  private async answerOne(model: IntentModel, variant: Arm, input: ClassifyInput, t0: number, stats?: RolloutStats): Promise<ClassifyResult> {
    const ident = modelIdentity(model);
    const cache = this.deps.cache;
    const key = cache ? cacheKey(model.weightsVersion, input.text) : '';
    const hit = cache ? this.usable(model, await this.cacheGet(key)) : undefined;
    let r: ClassifyResult;
    if (hit) {
      // nothing was called for this request, so no LLM usage is reported (or counted)
      const { llm: _llm, ...answer } = hit;
      r = { ...answer, model: ident, variant, id: input.id ?? randomUUID(), cached: true, timings: { modelMs: 0, llmMs: 0, totalMs: performance.now() - t0 } };
    } else {
      // a message the model itself sends to review: its item is added as soon as the route is
      // decided, while the neighbours are still being searched
      const staged = await model.classifyInStages([input.text], { llmAvailable: this.llmAvailable, contested: this.contestedFor(model) });
      const decided = staged.decided[0];
      let early: Promise<ReviewItem> | undefined;
      if (decided.route === 'review' && this.deps.review) {
        early = this.addReview(model, input, decided, ident, decided.reason as ReviewReason);
        early.catch(() => undefined); // awaited (and its failure reported) in finish
      }
      const preds = await staged.complete;
      const modelMs = performance.now() - t0;
      r = await this.finish(model, ident, variant, input, input.id ?? randomUUID(), preds[0], t0, modelMs, early);
      // review items are per message: only answers (accepted, llm) are reused
      if (cache && r.route !== 'review') {
        const { id: _id, cached: _c, timings: _t, review: _r, ...answer } = r;
        await cache.set(key, answer, this.deps.cacheTtlMs ?? 3_600_000).catch((e: unknown) => this.deps.observer?.onCacheError?.(e));
      }
    }
    stats?.answered(variant, r);
    this.deps.observer?.onResult(r, input);
    return r;
  }

  /** Queues the challenger's score of messages the champion answered; skipped (counted) when the queue is full. */
  private shadow(challenger: IntentModel, inputs: readonly ClassifyInput[], answers: readonly ClassifyResult[], stats?: RolloutStats): void {
    const queued = this.shadows.offer(inputs.length, async () => {
      const s0 = performance.now();
      let preds: Prediction[];
      try {
        preds = await challenger.classify(inputs.map((i) => i.text), { llmAvailable: this.llmAvailable });
      } catch (e) {
        stats?.shadowFailed(inputs.length);
        throw e;
      }
      const ms = performance.now() - s0;
      const ident = modelIdentity(challenger);
      preds.forEach((p, i) => {
        const shadow: ClassifyResult = { ...resultOf(p, answers[i].id, ident, 'shadow'), timings: { modelMs: ms, llmMs: 0, totalMs: ms } };
        stats?.shadowed(answers[i], shadow);
        this.deps.observer?.onShadow?.(answers[i], shadow, inputs[i]);
      });
    });
    if (!queued) stats?.shadowDropped(inputs.length);
  }

  /**
   * A cached answer the model accepted is a miss once its intent is contested for that model
   * version: the LLM now reports messages of an intent the model lacks among that intent's, so an
   * earlier confident answer is asked again (and the fresh answer replaces it in the cache).
   */
  private usable(model: IntentModel, hit: CachedAnswer | undefined): CachedAnswer | undefined {
    if (hit?.route !== 'accepted') return hit;
    return this.contestedFor(model)?.has(hit.intent) ? undefined : hit;
  }

  /** A cache that cannot be reached is a miss, not a failed request. */
  private async cacheGet(key: string): Promise<CachedAnswer | undefined> {
    if (!this.deps.cache) return undefined;
    try {
      return await this.deps.cache.get(key);
    } catch (e) {
      this.deps.observer?.onCacheError?.(e);
      return undefined;
    }
  }

  async classify(input: ClassifyInput): Promise<ClassifyResult> {
    return (await this.classifyBatch([input]))[0];
  }

  /** The review item of a message, its text redacted first; a paraphrase of a waiting item is counted on it (paraphrases.ts). */
  private addReview(model: IntentModel, input: ClassifyInput, p: Prediction, ident: ModelId, reason: ReviewReason, guess = p.intent): Promise<ReviewItem> {
    const item = {
      text: this.deps.redact ? this.deps.redact(input.text) : input.text,
      guess,
      confidence: p.confidence,
      alternatives: p.alternatives,
      reason,
      model: ident,
      requestId: input.requestId,
    };
    const para = this.deps.paraphrases;
    return para ? para.add(this.deps.review!, item, model.vectorOf(p), model.manifest.embedder.name) : this.deps.review!.add(item);
  }

  /** `early`: the review item already being added for a message the model sent to review. */
  private async finish(model: IntentModel, ident: ModelId, variant: Arm, input: ClassifyInput, id: string, p: Prediction, t0: number, modelMs: number, early?: Promise<ReviewItem>): Promise<ClassifyResult> {
    const base = resultOf(p, id, ident, variant);
    // the novelty detector's flag (the model's reason out_of_scope) stays the review item's reason
    const flagged = (p.reason as string) === 'out_of_scope';
    let llmMs = 0;
    let reviewReason: ReviewReason | null = p.route === 'review' ? (p.reason as ReviewReason) : null;
    let result: Omit<ClassifyResult, 'timings'> = base;
    if (p.route === 'llm' && this.deps.llm) {
      const l0 = performance.now();
      let answer: LlmAnswer | null = null;
      let failed: ReviewReason | null = null;
      const req: LlmRequest = {
        text: input.text,
        intents: intentsOf(model),
        examples: p.neighbours.map((n) => ({ text: n.text, intent: n.intent })),
        requestId: input.requestId,
      };
      try {
        answer = await this.deps.llm.classify(req);
      } catch (e) {
        failed = this.llmFailed(e, performance.now() - l0);
        // an intent the model does not have, named by the LLM: evidence against the guess
        if (e instanceof LlmAnswerError && e.offList !== undefined) this.contestEvidence(model, p, true);
      }
      llmMs = performance.now() - l0;
      const llm = answer ? { model: answer.model, variant: answer.variant, ...answer.usage, latencyMs: answer.latencyMs } : undefined;
      if (answer) {
        const outOfScope = answer.intent === null || model.manifest.outOfScopeLabels.includes(answer.intent);
        this.contestEvidence(model, p, outOfScope);
        this.deps.observer?.onLlm?.({ called: true, outcome: answer.intent === null ? 'none' : 'answered', model: answer.model, usage: answer.usage, latencyMs: answer.latencyMs });
        // the LLM chose the intent: the local model's probability belongs to another one (in `local`)
        result = outOfScope
          ? { ...base, intent: answer.intent ?? NONE_INTENT, confidence: null, route: 'llm', reason: 'out_of_scope', outOfScope: true, llm }
          : { ...base, intent: answer.intent!, confidence: null, route: 'llm', reason: 'llm_answered', outOfScope: false, llm };
        // out of scope is an answer, not review work: only a sample is queued, to audit the LLM's `none`s
        if (outOfScope && this.random() < (this.deps.outOfScopeSampleRate ?? 0.05)) reviewReason = 'out_of_scope';
        // a sample of its answers goes to a person too: the LLM's live precision, and confirmed labels
        else if (!outOfScope && this.deps.llmCheck?.(input.text)) reviewReason = 'llm_check';
        // LLM shadow mode: the challenger variant answers the same request afterwards (sampled, bounded)
        const shadow = this.deps.llmShadow?.();
        if (shadow) {
          const answered = result;
          this.llmShadows.offer(shadow, req, input, () => answered, (a) => llmResultOf(answered, a, model));
        }
      } else {
        reviewReason = failed ?? 'llm_failed';
        result = { ...base, route: 'review', reason: reviewReason };
      }
    }
    if (reviewReason && this.deps.review) {
      const check = reviewReason === 'llm_check';
      const item = await (early ?? this.addReview(model, input, p, ident, check ? 'llm_check' : flagged ? 'out_of_scope' : reviewReason, check ? result.intent : p.intent));
      if (!item.dropped) result = { ...result, review: item.pending ? { id: item.id, pending: true } : { id: item.id } };
    }
    return { ...result, timings: { modelMs, llmMs, totalMs: performance.now() - t0 } };
  }

  /** The model version's contested intents, or undefined without an LLM or with llm.contested off. */
  private contestedFor(model: IntentModel): ContestedIntents | undefined {
    if (!this.deps.llm || this.deps.contested === false) return undefined;
    const key = model.weightsVersion;
    let c = this.contestedBy.get(key);
    if (!c) {
      c = new ContestedIntents(this.deps.contested ?? {});
      this.contestedBy.set(key, c);
      // a champion, a challenger and the versions just swapped out: older ones are not served
      if (this.contestedBy.size > 4) this.contestedBy.delete(this.contestedBy.keys().next().value!);
    }
    return c;
  }

  /** One LLM answer on a message the model guessed as `p.intent` (not when it flagged it out of scope: then the guess means little). */
  private contestEvidence(model: IntentModel, p: Prediction, unknown: boolean): void {
    if ((p.reason as string) === 'out_of_scope') return;
    const c = this.contestedFor(model);
    const state = c?.record(p.intent, unknown);
    if (c && state) this.deps.observer?.onContested?.({ intent: p.intent, state, ...c.evidence(p.intent), model: modelIdentity(model) });
  }

  /** The review reason of a fallback that gave no answer, told to the observer as a call made or skipped. */
  private llmFailed(e: unknown, ms: number): ReviewReason {
    const o = this.deps.observer;
    if (e instanceof LlmDeclined) {
      o?.onLlm?.({ called: false, skipped: 'budget' });
      return e.reviewReason;
    }
    o?.onLlmError?.(e);
    if (e instanceof LlmNotCalled) {
      o?.onLlm?.({ called: false, skipped: e.skipped });
      return 'llm_failed';
    }
    if (e instanceof LlmTimeout) {
      o?.onLlm?.(e.called ? { called: true, outcome: 'timeout', model: UNKNOWN_MODEL, latencyMs: ms } : { called: false, skipped: 'deadline' });
      return 'llm_timeout';
    }
    // an unusable answer (out-of-set label, bad JSON) was still billed: its usage comes with the error
    const billed = e as { usage?: LlmUsage; model?: string };
    o?.onLlm?.({ called: true, outcome: 'error', model: billed.usage ? (billed.model ?? UNKNOWN_MODEL) : UNKNOWN_MODEL, usage: billed.usage, latencyMs: ms });
    return 'llm_failed';
  }
}

/** A result as the LLM answer `a` would have made it (the LLM shadow's record). */
function llmResultOf(base: Omit<ClassifyResult, 'timings'>, a: LlmAnswer, model: IntentModel): ClassifyResult {
  const outOfScope = a.intent === null || model.manifest.outOfScopeLabels.includes(a.intent);
  const { review: _r, ...rest } = base;
  return {
    ...rest,
    variant: 'llm-shadow',
    intent: a.intent ?? NONE_INTENT,
    confidence: null,
    route: 'llm',
    reason: outOfScope ? 'out_of_scope' : 'llm_answered',
    outOfScope,
    cached: false,
    llm: { model: a.model, variant: a.variant, ...a.usage, latencyMs: a.latencyMs },
    timings: { modelMs: 0, llmMs: a.latencyMs, totalMs: a.latencyMs },
  };
}

/** The intent of an out-of-scope answer when the LLM said `none`. */
export const NONE_INTENT = 'none';
const UNKNOWN_MODEL = 'unknown';

const intentLists = new WeakMap<IntentModel, LlmRequest['intents']>();

/** The LLM request's intent list of a model: one frozen array per model, so the LLM adapter can render it once. */
function intentsOf(model: IntentModel): LlmRequest['intents'] {
  let list = intentLists.get(model);
  if (!list) intentLists.set(model, (list = Object.freeze(model.labels.map((name) => Object.freeze({ name })))));
  return list;
}

/** The model's own decision as a result (before any LLM call or review item). */
function resultOf(p: Prediction, id: string, model: ModelId, variant: Variant): Omit<ClassifyResult, 'timings'> {
  return {
    id,
    intent: p.intent,
    confidence: p.confidence,
    local: { intent: p.intent, confidence: p.confidence, reason: p.reason as string },
    route: p.route,
    reason: p.reason as string,
    outOfScope: p.outOfScope,
    alternatives: p.alternatives,
    neighbours: p.neighbours,
    model,
    variant,
    cached: false,
  };
}
