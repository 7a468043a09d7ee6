import type { Hono } from 'hono';
import { openRateLimiter } from '../../adapters/rate-limit/index.js';
import { openReviewStore } from '../../adapters/review-store/index.js';
import { maskUri } from '../../adapters/uri.js';
import { IntentOpsError } from '../../core/errors.js';
import type { RateLimiter } from '../../ports/rate-limiter.js';
import type { Config } from '../config.js';
import type { HttpDeps } from '../http/index.js';
import type { Env } from '../http/types.js';
import { modelIdentity, type ClassifyObserver } from '../classify/service.js';
import type { IntentModel } from '../classify/model.js';
import { ReviewService } from '../services/review.js';
import { RolloutService, type OutcomeSources } from '../services/rollout.js';
import { loggedLlmShadow } from '../services/llm-status.js';
import { ClusterNameCache } from '../services/discover-naming.js';
import type { ServedLlm } from './llm.js';
import type { PredictionLog } from '../../ports/prediction-log.js';
import type { Logger } from '../telemetry/index.js';
import { registerReliabilityMetrics } from '../telemetry/reliability-metrics.js';
import { healthOf, OFF, openClassifyParts } from './classify-stack.js';
import { openModel } from './models.js';
import { abRule, rolloutGate } from './rollout.js';

/* Part of the composition root (src/app/container/index.ts): the serving stack. */

// --- serving -------------------------------------------------------------------------------

/** What `intentops serve` runs: the HTTP app over the model, the LLM fallback and the stores. */
export interface Serving {
  readonly app: Hono<Env>;
  readonly deps: HttpDeps;
  readonly log: Logger;
  /** The model being served (it may be swapped by `loadModel`). */
  model(): IntentModel;
  /** Loads another bundle and serves it from the next request on (SIGHUP in `serve`). */
  loadModel(dir: string): Promise<IntentModel>;
  /** Closes the LLM, review store, cache and rate limiter (after the server has drained). */
  close(): Promise<void>;
}

export interface ServingOptions {
  readonly modelDir: string;
  /** The app version for /openapi.json. */
  readonly version?: string;
  /** Default: a pino logger on stdout at config.logging.level. */
  readonly log?: Logger;
  /** Also told of every result and shadow score (after metrics), e.g. the prediction recorder. */
  readonly observer?: ClassifyObserver;
  /** Where the A/B analysis of GET /v1/rollout?analysis=true finds feedback (the review queue is added here). */
  readonly outcomes?: Pick<OutcomeSources, 'predictions' | 'feedback'>;
}

/**
 * Builds the serving stack from configuration: the classify stack (openClassifyParts: the model
 * first, so a missing or corrupt bundle fails before anything is opened), the rate limiter, the
 * readiness checks, the rollout service and the HTTP app over them.
 *
 * `models:/NAME@champion` is served under the rollout of NAME: the challenger is loaded too while
 * the rollout mode needs it, and aliases and mode are followed (polled every registry.pollMs,
 * and at once after a change through /v1/rollout); any other registry reference follows its alias.
 *
 * @example
 *   const serving = await openServing(loadConfig({ env: process.env }), { modelDir: 'models/sample' });
 *   const res = await serving.app.request('/v1/intents');
 *   await serving.close();
 */
export async function openServing(c: Config, o: ServingOptions): Promise<Serving> {
  const keys = c.server.apiKeys;
  const limited = keys.length > 0 && c.server.rateLimit.ratePerSecond > 0;
  const stack = await openClassifyParts(c, {
    modelDir: o.modelDir,
    log: o.log,
    observer: o.observer,
    alongside: async (onRedis) => (limited ? openRateLimiter(c.server.rateLimit.uri, { ratePerSecond: c.server.rateLimit.ratePerSecond, burst: c.server.rateLimit.burst, onState: onRedis }) : undefined),
  });
  const { log, metrics, review, cache, ops, auditor, classify, rollout: ro } = stack;
  const limiter = stack.alongside as RateLimiter | undefined;
  const current = stack.model;
  try {
    const checks: Record<string, () => Promise<void>> = { model: async () => void current().labels.length, ...ops.checks };
    // known to be away: said at once, without waiting on the probe's deadline
    if (review)
      checks.review = async () => {
        if (!review.stats().up) throw new Error('unreachable; review items are spooled');
        await review.list({ limit: 1 });
      };
    const recorder = ops.recorder;
    const cacheHealth = healthOf(cache);
    const limiterHealth = healthOf(limiter);
    registerReliabilityMetrics(metrics.registry, {
      dependencies: {
        ...(review && { review: () => review.stats().up }),
        ...(recorder && { events: () => recorder.stats.up }),
        ...(cacheHealth && { cache: () => cacheHealth().up }),
        ...(limiterHealth && { rate_limiter: () => limiterHealth().up }),
      },
      cacheBypassed: cacheHealth && (() => cacheHealth().degraded),
      rateLimitFallback: limiterHealth && (() => limiterHealth().degraded),
      review: review && (() => review.stats()),
      predictions: recorder && (() => recorder.stats),
      paraphrases: stack.paraphrases && (() => stack.paraphrases!.stats()),
    });
    // a Redis adapter known to be away answers without Redis (bypass, local bucket): readiness says so
    const away = (x: unknown) => {
      if (healthOf(x)?.().up === false) throw new Error('unreachable; answering without it');
    };
    if (cache) checks.cache = async () => void (away(cache), await cache.get('readyz:probe'));
    if (limiter) checks.rateLimiter = async () => void (away(limiter), await limiter.take('readyz:probe'));

    if (!keys.length) log.warn('no API keys configured (server.apiKeys / INTENTOPS_API_KEYS): authentication and rate limiting are off');
    const rollout = ro
      ? new RolloutService({ registry: ro.registry, rollout: ro.rollout, live: ro.live, onApplied: stack.applied, gate: rolloutGate(c), outcomes: { reviews: review, predictions: ops.predictions, feedback: ops.feedbackStore, ...o.outcomes }, rule: abRule(c) })
      : undefined;
    // intent discovery's names (GET /v1/discover) under the same daily budget as the fallback
    const namer = stack.llm?.namer && ops.budget ? ops.budget.wrapNamer(stack.llm.namer) : stack.llm?.namer;
    const deps: HttpDeps = {
      classify,
      model: current,
      reviews: review ? new ReviewService(review, () => current().labels) : undefined,
      limiter,
      metrics,
      log,
      checks,
      // the replica answers without any of the stores (spool, buffer, bypass): only the model makes it unready
      essentialChecks: ['model'],
      settings: { ...c.server, logTexts: c.logging.texts, requestSampleRate: c.logging.requestSampleRate, summarySeconds: c.logging.summarySeconds },
      lifecycle: { draining: false },
      feedback: ops.feedback,
      monitor: ops.monitors ? () => ops.monitors?.get() : undefined,
      trust: () => {
        const m = stack.tracked();
        return { precision: auditor.figures(), outOfScope: { ...auditor.outOfScope(), unknownShareEstimate: m.detectsNovelty ? m.unknownShare : null, detector: m.detectsNovelty } };
      },
      budget: ops.budget,
      tracking: ops.tracking,
      ...(ro && rollout ? { rollout: { name: ro.live.arms().name, service: rollout } } : {}),
      ...(stack.llm ? { llm: llmView(stack.llm, ops.predictions) } : {}),
      ...(namer ? { discover: { namer, naming: { maxClusters: c.llm.naming.maxClusters, cache: new ClusterNameCache(), onError: (e: unknown) => stack.repeated.warn('llm-naming', { err: (e as Error).message }, 'cluster naming by the LLM failed; the cluster keeps its terms name') } } } : {}),
    };
    // the HTTP app (hono, the routes) is loaded by the commands that serve, not by every CLI command
    const { createApp } = await import('../http/index.js');
    const app = createApp(deps, { version: o.version });
    stack.follow();
    log.info({ model: modelIdentity(current()), rollout: ro ? ro.live.view().mode : OFF, llm: stack.llm ? stack.llm.status().champion : OFF, review: review ? maskUri(c.review.uri) : OFF, cache: cache ? maskUri(c.cache.uri) : OFF, auth: keys.length > 0 }, 'serving stack ready');
    return { app, deps, log, model: current, loadModel: (dir) => stack.loadModel(dir), close: () => stack.close() };
  } catch (e) {
    await stack.close();
    throw e;
  }
}

/** The review queue for `intentops review`: the store from --store or config, labels from --model. */
export async function openReviews(c: Config, o: { store?: string; modelDir?: string } = {}): Promise<{ service: ReviewService; close(): Promise<void> }> {
  const labels = o.modelDir ? (await openModel(o.modelDir, c)).labels : undefined;
  const uri = o.store ?? c.review.uri;
  if (uri === OFF) throw new IntentOpsError('invalid_config', 'no review store: review.uri is none', { where: 'review.uri', hint: 'pass --store sqlite:./intentops.db (or postgres://…)' });
  const store = await openReviewStore(uri);
  return { service: new ReviewService(store, labels ? () => labels : undefined), close: () => store.close() };
}

/** GET /v1/rollout/llm: the served variants, this process's shadow comparison and the prediction log's. */
function llmView(llm: ServedLlm, log: PredictionLog | undefined): NonNullable<HttpDeps['llm']> {
  return {
    status: () => ({ served: llm.status(), live: llm.shadowStats.figures() }),
    ...(log ? { logged: (since: string) => loggedLlmShadow(log, since) } : {}),
  };
}
