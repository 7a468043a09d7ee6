import type { Hono } from 'hono';
import { openCache } from '../../adapters/cache/index.js';
import { createLlm, type OpenAiChatLlm } from '../../adapters/llm/index.js';
import { openRateLimiter } from '../../adapters/rate-limit/index.js';
import type { RedisHealth } from '../../adapters/redis-connect.js';
import { parseModelUri } from '../../adapters/registry/names.js';
import { openReviewStore, openServingReviewStore } from '../../adapters/stores/index.js';
import { maskUri } from '../../adapters/uri.js';
import { IntentOpsError } from '../../core/errors.js';
import type { Config } from '../config.js';
import { createApp, type HttpDeps } from '../http/index.js';
import type { Env } from '../http/types.js';
import { ClassifyService, modelIdentity, serveAs, type CachedAnswer, type ClassifyObserver } from '../services/classify.js';
import type { IntentModel } from '../services/model.js';
import { ReviewService } from '../services/review.js';
import { Auditor } from '../services/audit.js';
import { registerTrustMetrics } from '../telemetry/trust-metrics.js';
import { RolloutService, type OutcomeSources } from '../services/rollout.js';
import { createLogger, ServiceMetrics, type Logger } from '../telemetry/index.js';
import { RepeatedLog } from '../telemetry/logger.js';
import { openOperations } from './operations.js';
import { registerReliabilityMetrics } from '../telemetry/reliability-metrics.js';
import { isRegistryRef, openModel, openServedModel, openServingModel, watchAlias } from './models.js';
import { abRule, championOf, openLiveRollout, rolloutGate } from './rollout.js';

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

const OFF = 'none';

/**
 * Builds the serving stack from configuration. The model is loaded first, so a missing or
 * corrupt bundle fails before anything is opened (typed errors → CLI exit codes 3 and 4).
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
  const log = o.log ?? createLogger({ level: c.logging.level });
  const opened: { close(): Promise<void> }[] = [];
  const rolloutName = championOf(o.modelDir);
  const ro = rolloutName ? await openLiveRollout(rolloutName, c) : undefined;
  if (ro) opened.push(ro.rollout, ro.registry.store);
  let model: IntentModel;
  try {
    model = ro ? ro.live.arms().champion : await openServedModel(o.modelDir, c);
  } catch (e) {
    await closeAll(opened);
    throw e;
  }
  const current = () => (ro ? ro.live.arms().champion : model);
  try {
    // one line per circuit change and per kind of repeated failure, not one per request
    const repeated = new RepeatedLog(log);
    opened.push({ close: async () => repeated.close() });
    const onCircuit = (ch: { from: string; to: string; consecutiveFailures: number; where: string }) => {
      const fields = { from: ch.from, to: ch.to, consecutiveFailures: ch.consecutiveFailures, llm: ch.where, cooldownMs: c.llm.circuit.cooldownMs };
      if (ch.to === 'open') log.warn(fields, 'LLM circuit opened: unsure messages go to review without calling the LLM until a probe succeeds');
      else log.info(fields, ch.to === 'closed' ? 'LLM circuit closed: the LLM answers again' : 'LLM circuit half-open');
    };
    const llm = c.llm.provider === OFF ? undefined : await createLlm(c.llm.provider, llmOptions(c), { onCircuit });
    // Redis away at run time: the cache is bypassed and the rate limit decided per replica until a probe finds it back
    const onRedis = (up: boolean, d: { what: string; error?: string }) =>
      up ? log.info({ dependency: d.what }, 'Redis back') : log.warn({ dependency: d.what, err: d.error }, 'Redis unreachable: answering without it until a probe (every second) finds it back');
    const cache = c.cache.uri === OFF ? undefined : await openCache<CachedAnswer>(c.cache.uri, { onState: onRedis });
    if (cache) opened.push(cache);
    const keys = c.server.apiKeys;
    const limited = keys.length > 0 && c.server.rateLimit.ratePerSecond > 0;
    const limiter = limited ? await openRateLimiter(c.server.rateLimit.uri, { ratePerSecond: c.server.rateLimit.ratePerSecond, burst: c.server.rateLimit.burst, onState: onRedis }) : undefined;
    if (limiter) opened.push(limiter);
    // last: the default SQLite store creates a file, which a configuration mistake above should not leave behind
    // a store that is down now fails the start; one that goes away later is worked around (spool)
    const review =
      c.review.uri === OFF
        ? undefined
        : await openServingReviewStore(c.review.uri, {
            spoolDir: c.review.spoolDir,
            spoolMax: c.review.spoolMax,
            maxOpen: c.review.maxOpen,
            onState: (up, d) =>
              up
                ? log.info({ written: d.flushed }, 'review store back: spooled review items written')
                : log.warn({ err: d.error, spoolDir: c.review.spoolDir || '(memory)' }, 'review store unreachable: unsure messages are answered and their review items spooled until it is back'),
            onLost: (items) => log.error({ items }, 'review items lost at shutdown: the review store was unreachable and review.spoolDir is not set (set it to keep them across restarts)'),
          });
    if (review) opened.push(review);

    const metrics = new ServiceMetrics({ cacheEnabled: cache !== undefined });
    metrics.setModel(modelIdentity(current()));
    if (llm && 'stats' in llm && typeof llm.stats === 'function') metrics.trackLlm(() => (llm as OpenAiChatLlm).stats());
    const ops = await openOperations(c, { log, metrics, current, llm });
    opened.push(ops);
    // the live precision promise: a sample of accepted answers judged (LLM, else review), the out-of-scope share
    const auditor = new Auditor({
      sampleRate: c.monitor.audit.sampleRate,
      windowMinutes: c.monitor.windowMinutes,
      target: () => current().manifest.routing.targetPrecision,
      llm: ops.llm,
      review,
      onError: (e) => repeated.warn('audit', { err: (e as Error).message }, 'precision audit: a judgement failed'),
    });
    const auditPoll = setInterval(() => void auditor.poll().catch((e: unknown) => repeated.warn('audit', { err: (e as Error).message }, 'precision audit: review store unreachable')), 30_000);
    auditPoll.unref();
    opened.push({ close: async () => clearInterval(auditPoll) });
    // the out-of-scope thresholds follow the unknown share estimated from this replica's own traffic
    const trackShare = (m: IntentModel) => (m.detectsNovelty && !tracked.has(m) ? (tracked.add(m), m.trackUnknownShare()) : m);
    const tracked = new WeakSet<IntentModel>();
    trackShare(current());
    registerTrustMetrics(metrics.registry, () => auditor.figures(), () => auditor.outOfScope().share, () => current().unknownShare);
    const extra = o.observer;
    const observer: ClassifyObserver = {
      onResult: (r, input) => {
        metrics.onResult(r);
        auditor.onResult(r, input);
        // a model swapped in (alias move, SIGHUP, promotion) starts tracking with its first answer
        trackShare(current());
        ops.observer.onResult(r, input);
        extra?.onResult(r, input);
      },
      onShadow: (champion, shadow, input) => {
        ops.observer.onShadow?.(champion, shadow, input);
        extra?.onShadow?.(champion, shadow, input);
      },
      onLlm: (e) => metrics.onLlm(e),
      onShadowError: (e) => repeated.warn('shadow', { err: (e as Error).message }, 'shadow scoring failed; answers were not affected'),
      onLlmError: (e) => {
        const err = e as Error & { code?: string; skipped?: string };
        const kind = err.name === 'LlmNotCalled' ? `skipped:${err.skipped}` : err.name === 'LlmTimeout' ? 'timeout' : `failed:${err.code ?? err.name}`;
        repeated.warn(`llm:${kind}`, { err: err.message, code: err.code, kind }, 'LLM fallback failed; message sent to review');
      },
      onCacheError: (e) => repeated.warn('cache', { err: (e as Error).message }, 'answer cache unavailable; classified without it'),
    };
    const redact = (t: string) => ops.redactor(t).text;
    const classify = new ClassifyService({ model: current, arms: ro?.live.arms, shadowQueue: c.rollout.shadowQueue, llm: ops.llm, review, redact, cache, cacheTtlMs: c.cache.ttlMs, observer, outOfScopeSampleRate: c.review.outOfScopeSampleRate });
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
    });
    // a Redis adapter known to be away answers without Redis (bypass, local bucket): readiness says so
    const away = (x: unknown) => {
      if (healthOf(x)?.().up === false) throw new Error('unreachable; answering without it');
    };
    if (cache) checks.cache = async () => void (away(cache), await cache.get('readyz:probe'));
    if (limiter) checks.rateLimiter = async () => void (away(limiter), await limiter.take('readyz:probe'));

    if (!keys.length) log.warn('no API keys configured (server.apiKeys / INTENTOPS_API_KEYS): authentication and rate limiting are off');
    const applied = (changes: string[]) => {
      if (!changes.length) return;
      metrics.setModel(modelIdentity(current()));
      log.info({ ref: o.modelDir, changes, model: modelIdentity(current()) }, 'rollout applied');
    };
    const rollout = ro
      ? new RolloutService({ registry: ro.registry, rollout: ro.rollout, live: ro.live, onApplied: applied, gate: rolloutGate(c), outcomes: { reviews: review, predictions: ops.predictions, feedback: ops.feedbackStore, ...o.outcomes }, rule: abRule(c) })
      : undefined;
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
        const m = trackShare(current());
        return { precision: auditor.figures(), outOfScope: { ...auditor.outOfScope(), unknownShareEstimate: m.detectsNovelty ? m.unknownShare : null, detector: m.detectsNovelty } };
      },
      budget: ops.budget,
      tracking: ops.tracking,
      ...(ro && rollout ? { rollout: { name: ro.live.arms().name, service: rollout } } : {}),
    };
    const app = createApp(deps, { version: o.version });
    // a new model is loaded next to the old one and swapped in with one assignment, so no
    // request sees a half-loaded model
    let stop: (() => void) | undefined;
    if (ro && c.registry.pollMs > 0) {
      let busy = false;
      const timer = setInterval(() => {
        if (busy) return;
        busy = true;
        ro.live
          .refresh()
          .then(applied, (e: unknown) => log.warn({ err: (e as Error).message }, 'registry poll failed; still serving the current models'))
          .finally(() => (busy = false));
      }, Math.max(100, c.registry.pollMs));
      timer.unref();
      stop = () => clearInterval(timer);
    } else if (!ro && isRegistryRef(o.modelDir) && /@/.test(o.modelDir) && c.registry.pollMs > 0) {
      const { name } = parseModelUri(o.modelDir.startsWith('models:/') ? o.modelDir : `models:/${o.modelDir}`);
      stop = watchAlias(
        o.modelDir,
        c,
        async (path, version) => {
          const next = serveAs(await openServingModel(path, c), { name, version: String(version) });
          model = next;
          metrics.setModel(modelIdentity(next));
          log.info({ ref: o.modelDir, version, model: modelIdentity(next) }, 'alias moved: model swapped');
        },
        (e) => log.warn({ err: (e as Error).message }, 'registry poll failed; still serving the current model'),
      );
    }
    log.info({ model: modelIdentity(current()), rollout: ro ? ro.live.view().mode : OFF, llm: llm ? c.llm.model : OFF, review: review ? maskUri(c.review.uri) : OFF, cache: cache ? maskUri(c.cache.uri) : OFF, auth: keys.length > 0 }, 'serving stack ready');
    return {
      app,
      deps,
      log,
      model: current,
      async loadModel(dir) {
        if (ro) {
          // SIGHUP under a rollout: re-read the registry and rollout state now
          applied(await ro.live.refresh());
          return current();
        }
        const next = await openServedModel(dir, c);
        model = next;
        metrics.setModel(modelIdentity(next));
        log.info({ model: modelIdentity(next) }, 'model loaded');
        return next;
      },
      close: async () => {
        stop?.();
        // shadow scores still queued reach the observers before the stores close
        await classify.shadowIdle();
        await closeAll(opened);
        // the served models' search threads (a model swapped out earlier ends its own when collected)
        const arms = ro?.live.arms();
        await Promise.allSettled([...new Set([model, current(), arms?.champion, arms?.challenger])].map((m) => m?.close()));
      },
    };
  } catch (e) {
    await closeAll(opened);
    throw e;
  }
}

function llmOptions(c: Config): Record<string, unknown> {
  const l = c.llm;
  const azure = l.azureEndpoint ? { azure: { endpoint: l.azureEndpoint, deployment: l.azureDeployment ?? l.model, apiVersion: l.azureApiVersion } } : {};
  return {
    baseUrl: l.baseUrl,
    model: l.model,
    ...(l.apiKey ? { apiKey: l.apiKey } : {}),
    ...azure,
    timeoutMs: l.timeoutMs,
    deadlineMs: l.deadlineMs,
    maxRetries: l.maxRetries,
    circuit: l.circuit,
    maxConcurrent: l.maxConcurrency,
    maxQueue: l.maxQueue,
    prices: l.prices,
    responseFormat: l.responseFormat,
    ...(l.promptFile ? { promptFile: l.promptFile } : {}),
  };
}

/** The degraded-mode figures of a Redis-backed adapter (RedisHealth), or undefined for one that has none (memory). */
function healthOf(x: unknown): (() => RedisHealth) | undefined {
  const h = (x as { health?: unknown } | undefined)?.health;
  return typeof h === 'function' ? () => (h as () => RedisHealth).call(x) : undefined;
}

async function closeAll(xs: { close(): Promise<void> }[]): Promise<void> {
  await Promise.allSettled(xs.reverse().map((x) => x.close()));
}

/** The review queue for `intentops review`: the store from --store or config, labels from --model. */
export async function openReviews(c: Config, o: { store?: string; modelDir?: string } = {}): Promise<{ service: ReviewService; close(): Promise<void> }> {
  const labels = o.modelDir ? (await openModel(o.modelDir, c)).labels : undefined;
  const uri = o.store ?? c.review.uri;
  if (uri === OFF) throw new IntentOpsError('invalid_config', 'no review store: review.uri is none', { where: 'review.uri', hint: 'pass --store sqlite:./intentops.db (or postgres://…)' });
  const store = await openReviewStore(uri);
  return { service: new ReviewService(store, labels ? () => labels : undefined), close: () => store.close() };
}
