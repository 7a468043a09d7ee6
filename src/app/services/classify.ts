import { createHash, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Cache } from '../../ports/cache.js';
import { LlmDeclined, type Llm, type LlmAnswer } from '../../ports/llm.js';
import type { ReviewReason, ReviewStore } from '../../ports/review-store.js';
import type { Route } from '../../core/routing/policy.js';
import type { IntentModel, Prediction } from './model.js';

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
  readonly confidence: number;
  readonly route: Route;
  readonly reason: string;
  readonly outOfScope: boolean;
  readonly alternatives: Prediction['alternatives'];
  readonly neighbours: Prediction['neighbours'];
  readonly model: { readonly name: string; readonly version: string };
  readonly llm?: { readonly model: string; readonly promptTokens: number; readonly completionTokens: number; readonly costUsd: number; readonly latencyMs: number };
  readonly review?: { readonly id: string };
  readonly cached: boolean;
  readonly timings: { readonly modelMs: number; readonly llmMs: number; readonly totalMs: number };
}

/** What the service reports to telemetry (metrics, logs); implemented at the edge. */
export interface ClassifyObserver {
  /** Called once per message with its result and the input it answered (text included: observers must not log or store it unredacted). */
  onResult(r: ClassifyResult, input: ClassifyInput): void;
  onLlmError?(e: unknown): void;
  /** The cache could not be read or written: the message was classified without it. */
  onCacheError?(e: unknown): void;
}

export interface ClassifyDeps {
  /** Returns the model to use now: may change between calls (hot swap). */
  readonly model: () => IntentModel;
  readonly llm?: Llm;
  readonly review?: ReviewStore;
  readonly cache?: Cache<CachedAnswer>;
  readonly cacheTtlMs?: number;
  readonly observer?: ClassifyObserver;
}

export type CachedAnswer = Omit<ClassifyResult, 'id' | 'cached' | 'timings' | 'review'>;

/** The model's identity in responses and cache keys: name + a short hash of its weights. */
export function modelIdentity(m: IntentModel): { name: string; version: string } {
  return { name: m.manifest.name, version: m.manifest.classifier.weights.sha256.slice(0, 12) };
}

/** Cache key: model version + normalised text, hashed (no raw text, no secrets in keys). */
export function cacheKey(version: string, text: string): string {
  const norm = text.normalize('NFC').trim().replace(/\s+/g, ' ').toLowerCase();
  return `cls:${version}:${createHash('sha256').update(norm).digest('hex').slice(0, 40)}`;
}

/**
 * The classify use case: cache → model → routing → LLM fallback → review queue. A message is
 * never lost: an LLM failure, a `none` answer or no LLM at all send it to review with the best
 * guess; a review-store failure propagates (the caller must know the message was not queued).
 */
export class ClassifyService {
  constructor(private readonly deps: ClassifyDeps) {}

  get llmAvailable(): boolean {
    return this.deps.llm !== undefined;
  }

  async classifyBatch(inputs: readonly ClassifyInput[]): Promise<ClassifyResult[]> {
    const t0 = performance.now();
    const model = this.deps.model();
    const ident = modelIdentity(model);
    // no cache, no hashing: the key is a sha256 of the text, about a tenth of a hashed-model classify
    const keys = this.deps.cache ? inputs.map((i) => cacheKey(ident.version, i.text)) : [];
    const cached = this.deps.cache ? await Promise.all(keys.map((k) => this.cacheGet(k))) : [];
    const todo = inputs.map((_, i) => i).filter((i) => !cached[i]);
    const preds = todo.length ? await model.classify(todo.map((i) => inputs[i].text), { llmAvailable: this.llmAvailable }) : [];
    const modelMs = performance.now() - t0;
    const byIndex = new Map(todo.map((i, j) => [i, preds[j]]));
    return Promise.all(
      inputs.map(async (input, i) => {
        const id = input.id ?? randomUUID();
        const hit = cached[i];
        if (hit) {
          // nothing was called for this request, so no LLM usage is reported (or counted)
          const { llm: _llm, ...answer } = hit;
          const r: ClassifyResult = { ...answer, id, cached: true, timings: { modelMs: 0, llmMs: 0, totalMs: performance.now() - t0 } };
          this.deps.observer?.onResult(r, input);
          return r;
        }
        const r = await this.finish(model, ident, input, id, byIndex.get(i)!, t0, modelMs);
        // review items are per message: only answers (accepted, llm) are reused
        if (this.deps.cache && r.route !== 'review') {
          const { id: _id, cached: _c, timings: _t, review: _r, ...answer } = r;
          await this.deps.cache.set(keys[i], answer, this.deps.cacheTtlMs ?? 3_600_000).catch((e: unknown) => this.deps.observer?.onCacheError?.(e));
        }
        this.deps.observer?.onResult(r, input);
        return r;
      }),
    );
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

  private async finish(model: IntentModel, ident: { name: string; version: string }, input: ClassifyInput, id: string, p: Prediction, t0: number, modelMs: number): Promise<ClassifyResult> {
    const base = {
      id,
      intent: p.intent,
      confidence: p.confidence,
      route: p.route,
      reason: p.reason as string,
      outOfScope: p.outOfScope,
      alternatives: p.alternatives,
      neighbours: p.neighbours,
      model: ident,
      cached: false,
    };
    let llmMs = 0;
    let reviewReason: ReviewReason | null = p.route === 'review' ? (p.reason as ReviewReason) : null;
    let result: Omit<ClassifyResult, 'timings'> = base;
    if (p.route === 'llm' && this.deps.llm) {
      const l0 = performance.now();
      let answer: LlmAnswer | null = null;
      let declined: ReviewReason | null = null;
      try {
        answer = await this.deps.llm.classify({
          text: input.text,
          intents: model.labels.map((name) => ({ name })),
          examples: p.neighbours.map((n) => ({ text: n.text, intent: n.intent })),
          requestId: input.requestId,
        });
      } catch (e) {
        if (e instanceof LlmDeclined) declined = e.reviewReason;
        else this.deps.observer?.onLlmError?.(e);
      }
      llmMs = performance.now() - l0;
      const llm = answer ? { model: answer.model, ...answer.usage, latencyMs: answer.latencyMs } : undefined;
      if (answer && answer.intent !== null) {
        result = { ...base, intent: answer.intent, confidence: base.confidence, route: 'llm', reason: 'llm_answered', outOfScope: model.manifest.outOfScopeLabels.includes(answer.intent), llm };
      } else {
        reviewReason = answer ? 'llm_none' : (declined ?? 'llm_failed');
        result = { ...base, route: 'review', reason: reviewReason, llm };
      }
    }
    if (reviewReason && this.deps.review) {
      const item = await this.deps.review.add({
        text: input.text,
        guess: p.intent,
        confidence: p.confidence,
        alternatives: p.alternatives,
        reason: reviewReason,
        model: ident,
        requestId: input.requestId,
      });
      result = { ...result, review: { id: item.id } };
    }
    return { ...result, timings: { modelMs, llmMs, totalMs: performance.now() - t0 } };
  }
}
