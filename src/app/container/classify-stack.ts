import { defaultParaphraseSimilarity, ReviewParaphrases } from '../classify/paraphrases.js';
import { openCache } from '../../adapters/cache/index.js';
import type { RedisHealth } from '../../adapters/redis-connect.js';
import { parseModelUri } from '../../ports/model-uri.js';
import { openServingReviewStore } from '../../adapters/review-store/index.js';
import type { Cache } from '../../ports/cache.js';
import { LlmAnswerError, type Llm } from '../../ports/llm.js';
import { LlmUnknownEvidence } from '../classify/unknown-evidence.js';
import type { Config } from '../config.js';
import { Auditor } from '../services/audit.js';
import { sampledId } from '../services/monitor.js';
import { ClassifyService, modelIdentity, serveAs, type CachedAnswer, type ClassifyObserver } from '../classify/service.js';
import type { IntentModel } from '../classify/model.js';
import { createLogger, ServiceMetrics, type Logger } from '../telemetry/index.js';
import { RepeatedLog } from '../telemetry/logger.js';
import { registerTrustMetrics } from '../telemetry/trust-metrics.js';
import { isRegistryRef, openServedModel, openServingModel, watchAlias } from './models.js';
import { openOperations, type Operations } from './operations.js';
import { championOf, openLiveRollout } from './rollout.js';
import { openServedLlm, type ServedLlm } from './llm.js';

/*
 * Part of the composition root (src/app/container/index.ts): the classify stack that `serve`,
 * `worker` and `classify-file --pipeline` share: the served model(s) under their rollout or
 * alias, the LLM fallback, the answer cache, the review queue, the operations stack (prediction
 * log, feedback, monitors, budget) and the precision audit, joined in one ClassifyService.
 */

export const OFF = 'none';

type Closeable = { close(): Promise<void> };

/** Logs Redis going away and coming back (the cache and the rate limiter share the wording). */
export type RedisStateLog = (up: boolean, d: { what: string; error?: string }) => void;

export interface ClassifyStackOptions {
  readonly modelDir: string;
  /** Default: a pino logger on stdout at config.logging.level. */
  readonly log?: Logger;
  /** Also told of every result and shadow score (after metrics), e.g. the prediction recorder. */
  readonly observer?: ClassifyObserver;
  /**
   * Opened just before the review store (whose default SQLite file a configuration mistake in it
   * should not leave behind) and closed with the stack: serving's rate limiter.
   */
  readonly alongside?: (onRedis: RedisStateLog) => Promise<Closeable | undefined>;
}

/** What classifies: the service, the model(s) it serves and what it was built from. */
export interface ClassifyStack {
  readonly classify: ClassifyService;
  readonly log: Logger;
  readonly metrics: ServiceMetrics;
  /** The model being served (it may be swapped by `loadModel`, an alias move or the rollout). */
  model(): IntentModel;
  /** Loads another bundle and serves it from the next message on (SIGHUP in `serve`). */
  loadModel(dir: string): Promise<IntentModel>;
  /** Stops following the registry, lets queued shadow scores finish, closes what was opened. */
  close(): Promise<void>;
}

/**
 * The classify stack for `worker` and `classify-file --pipeline`, following the registry as
 * `serve` does. (`serve` builds on openClassifyParts.)
 */
export async function openClassifyStack(c: Config, o: Omit<ClassifyStackOptions, 'alongside'>): Promise<ClassifyStack> {
  const parts = await openClassifyParts(c, o);
  parts.follow();
  return parts;
}

/** The classify stack and the parts of it the serving stack builds on. */
export interface ClassifyStackParts extends ClassifyStack {
  readonly rollout?: Awaited<ReturnType<typeof openLiveRollout>>;
  readonly review?: Awaited<ReturnType<typeof openServingReviewStore>>;
  readonly cache?: Cache<CachedAnswer>;
  readonly llm?: ServedLlm;
  readonly ops: Operations;
  readonly auditor: Auditor;
  /** The review queue's paraphrase grouping (absent when off or without a review store). */
  readonly paraphrases?: ReviewParaphrases;
  /** What `alongside` opened. */
  readonly alongside?: Closeable;
  /** The model to serve, tracking the unknown share of its own traffic when it detects novelty. */
  tracked(): IntentModel;
  /** Logs and counts a rollout change (new arms, mode) made elsewhere, e.g. through /v1/rollout. */
  applied(changes: string[]): void;
  /** Starts following the registry (rollout state, or the alias served). */
  follow(): void;
  /** One line per kind of repeated failure. */
  readonly repeated: RepeatedLog;
}

/**
 * Builds the classify stack from configuration. The model is loaded first, so a missing or
 * corrupt bundle fails before anything is opened (typed errors → CLI exit codes 3 and 4).
 *
 * `models:/NAME@champion` is served under the rollout of NAME: the challenger is loaded too while
 * the rollout mode needs it, and aliases and mode are followed (polled every registry.pollMs,
 * once `follow` is called); any other registry reference follows its alias.
 */
export async function openClassifyParts(c: Config, o: ClassifyStackOptions): Promise<ClassifyStackParts> {
  const log = o.log ?? createLogger({ level: c.logging.level });
  const opened: Closeable[] = [];
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
    // the registry's champion variant (llm.variant), else the configured provider and prompt file; the challenger may shadow it
    let budgetWrap: ((l: Llm) => Llm) | undefined;
    const served = await openServedLlm(c, {
      deps: { onCircuit },
      wrap: (l) => (budgetWrap ? budgetWrap(l) : l),
      onError: (e) => repeated.warn('llm-registry', { err: (e as Error).message }, 'LLM variant registry poll failed; still serving the current variants'),
    });
    if (served) opened.push(served);
    const llm = served?.llm;
    // Redis away at run time: the cache is bypassed and the rate limit decided per replica until a probe finds it back
    const onRedis: RedisStateLog = (up, d) =>
      up ? log.info({ dependency: d.what }, 'Redis back') : log.warn({ dependency: d.what, err: d.error }, 'Redis unreachable: answering without it until a probe (every second) finds it back');
    const cache = c.cache.uri === OFF ? undefined : await openCache<CachedAnswer>(c.cache.uri, { onState: onRedis });
    if (cache) opened.push(cache);
    const alongside = o.alongside ? await o.alongside(onRedis) : undefined;
    if (alongside) opened.push(alongside);
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
    if (llm) metrics.trackLlm(() => llm.stats());
    const ops = await openOperations(c, { log, metrics, current, llm });
    opened.push(ops);
    const budget = ops.budget;
    if (budget) budgetWrap = (l) => budget.wrap(l);
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
    // the out-of-scope thresholds follow the unknown share estimated from this replica's own
    // traffic; a model swapped in (promotion, alias move) starts from the share the model before
    // it estimated, not from its bundle's default, until it has scored enough messages itself: the
    // share is a property of the traffic, not of the model
    let carried: number | undefined;
    // with llm.estimateUnknownShare, the share is counted from the LLM's answers instead
    const evidence = llm && c.llm.estimateUnknownShare ? new LlmUnknownEvidence() : undefined;
    const estimate = evidence && (() => evidence.share());
    const trackShare = (m: IntentModel) => {
      if (!m.detectsNovelty) return m;
      if (!tracked.has(m)) {
        tracked.add(m);
        const start = estimate?.() ?? carried;
        if (start !== undefined) m.setUnknownShare(start);
        m.trackUnknownShare(estimate ? { estimate } : {});
      }
      if (m.estimatesUnknownShare) carried = m.unknownShare;
      return m;
    };
    const tracked = new WeakSet<IntentModel>();
    trackShare(current());
    registerTrustMetrics(metrics.registry, () => auditor.figures(), () => auditor.outOfScope().share, () => current().unknownShare);
    const extra = o.observer;
    const observer: ClassifyObserver = {
      onResult: (r, input) => {
        metrics.onResult(r);
        if (evidence && r.variant !== 'shadow') evidence.served(r);
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
      onLlmShadow: (answer, shadow, input) => {
        ops.observer.onLlmShadow?.(answer, shadow, input);
        extra?.onLlmShadow?.(answer, shadow, input);
      },
      onLlm: (e) => metrics.onLlm(e),
      onShadowError: (e) => repeated.warn('shadow', { err: (e as Error).message }, 'shadow scoring failed; answers were not affected'),
      onLlmError: (e) => {
        if (evidence && e instanceof LlmAnswerError && e.offList !== undefined) evidence.offListAnswer();
        const err = e as Error & { code?: string; skipped?: string };
        const kind = err.name === 'LlmNotCalled' ? `skipped:${err.skipped}` : err.name === 'LlmTimeout' ? 'timeout' : `failed:${err.code ?? err.name}`;
        repeated.warn(`llm:${kind}`, { err: err.message, code: err.code, kind }, 'LLM fallback failed; message sent to review');
      },
      onCacheError: (e) => repeated.warn('cache', { err: (e as Error).message }, 'answer cache unavailable; classified without it'),
      onContested: (e) =>
        e.state === 'contested'
          ? log.warn({ intent: e.intent, unknown: e.unknown, answers: e.answers, model: e.model }, 'intent contested: the LLM answers messages guessed as this intent with intents the model does not know; its confident answers go to the LLM too (reason contested)')
          : log.info({ intent: e.intent, unknown: e.unknown, answers: e.answers, model: e.model }, 'intent no longer contested: its confident answers are accepted again'),
    };
    const redact = (t: string) => ops.redactor(t).text;
    const paraphrases = review ? paraphrasesOf(c.review.groupParaphrases, () => review.stats().up) : undefined;
    const classify = new ClassifyService({ model: current, arms: ro?.live.arms, shadowQueue: c.rollout.shadowQueue, llm: ops.llm, review, paraphrases, redact, cache, cacheTtlMs: c.cache.ttlMs, observer, outOfScopeSampleRate: c.review.outOfScopeSampleRate, llmCheck: (text) => sampledId(`${text}#llm-check`, c.review.llmCheckSampleRate), llmShadow: served ? () => served.shadow() : undefined, contested: c.llm.contested.enabled ? c.llm.contested : false });

    const applied = (changes: string[]) => {
      if (!changes.length) return;
      metrics.setModel(modelIdentity(current()));
      log.info({ ref: o.modelDir, changes, model: modelIdentity(current()) }, 'rollout applied');
    };
    // a new model is loaded next to the old one and swapped in with one assignment, so no
    // request sees a half-loaded model
    let stop: (() => void) | undefined;
    let stopLlm: (() => void) | undefined;
    const follow = () => {
      // the LLM variant registry: champion moves and shadow mode on/off
      if (!stopLlm && served && c.llm.variant && c.registry.pollMs > 0) {
        let busy = false;
        const timer = setInterval(() => {
          if (busy) return;
          busy = true;
          served
            .refresh()
            .then((changes) => changes.length && log.info({ changes, llm: served.status() }, 'LLM variants applied'))
            .finally(() => (busy = false));
        }, Math.max(100, c.registry.pollMs));
        timer.unref();
        stopLlm = () => clearInterval(timer);
      }
      if (stop) return;
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
    };
    return {
      classify,
      log,
      metrics,
      rollout: ro,
      review,
      cache,
      llm: served,
      ops,
      auditor,
      ...(paraphrases ? { paraphrases } : {}),
      alongside,
      repeated,
      model: current,
      tracked: () => trackShare(current()),
      applied,
      follow,
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
        stopLlm?.();
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

/** The degraded-mode figures of a Redis-backed adapter (RedisHealth), or undefined for one that has none (memory). */
export function healthOf(x: unknown): (() => RedisHealth) | undefined {
  const h = (x as { health?: unknown } | undefined)?.health;
  return typeof h === 'function' ? () => (h as () => RedisHealth).call(x) : undefined;
}

export async function closeAll(xs: Closeable[]): Promise<void> {
  await Promise.allSettled(xs.reverse().map((x) => x.close()));
}

/** The review queue's paraphrase grouping from review.groupParaphrases (undefined: off). */
function paraphrasesOf(setting: 'auto' | 'off' | number, storeUp: () => boolean): ReviewParaphrases | undefined {
  if (setting === 'off') return undefined;
  return new ReviewParaphrases({ minSimilarity: setting === 'auto' ? defaultParaphraseSimilarity : () => setting, storeUp });
}
