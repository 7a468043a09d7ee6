import type { Hono } from 'hono';
import { readBundle } from '../adapters/bundle/index.js';
import { openCache } from '../adapters/cache/index.js';
import { createLlm, type OpenAiChatLlm } from '../adapters/llm/index.js';
import { openRateLimiter } from '../adapters/rate-limit/index.js';
import { openReviewStore } from '../adapters/stores/index.js';
import { maskUri } from '../adapters/uri.js';
import { createApp, type HttpDeps } from './http/index.js';
import type { Env } from './http/types.js';
import { ClassifyService, modelIdentity, serveAs, type CachedAnswer, type ClassifyObserver } from './services/classify.js';
import { ReviewService } from './services/review.js';
import { createLogger, ServiceMetrics, type Logger } from './telemetry/index.js';
import type { EmbedderOptions } from '../adapters/embedders/index.js';
import { IntentOpsError } from '../core/errors.js';
import type { Config } from './config.js';
import { IntentModel, type Classifier } from './services/model.js';
import { Cascade } from './services/cascade.js';
import type { LoadOptions } from './services/dataset.js';
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { openArtifactStore } from '../adapters/artifacts/index.js';
import { openRegistryStore } from '../adapters/registry/index.js';
import { parseModelUri } from '../adapters/registry/names.js';
import { openTrackingStore } from '../adapters/tracking/index.js';
import type { ReviewStore } from '../ports/review-store.js';
import type { TrackingStore } from '../ports/tracking-store.js';
import { resolveModelUri, type Registry } from './services/registry.js';
import { openRolloutStore } from '../adapters/rollout/index.js';
import type { ModelVersion } from '../ports/registry-store.js';
import { LiveRollout, RolloutService, type ChallengerGate, type OutcomeSources } from './services/rollout.js';
import { loadExamples } from './services/dataset.js';
import { openOperations } from './wiring/operations.js';

/**
 * The composition root: the only place that turns configuration into adapters. CLI commands
 * and the HTTP server ask it for what they need and call services with the result.
 */
export function embedderOptions(c: Config): EmbedderOptions {
  return {
    onnx: { ...(c.onnx.modelDir ? { modelDir: c.onnx.modelDir } : {}), threads: c.onnx.threads },
    openai: c.openai.azureEndpoint
      ? { azure: true, endpoint: c.openai.azureEndpoint, deployment: c.openai.azureDeployment, apiVersion: c.openai.azureApiVersion, apiKey: c.openai.apiKey }
      : { baseUrl: c.openai.baseUrl, model: c.openai.model, apiKey: c.openai.apiKey },
  };
}

export function loadOptions(c: Config): LoadOptions {
  return {
    textCol: c.data.textCol,
    labelCol: c.data.labelCol,
    delimiter: c.data.delimiter,
    maxTextLength: c.data.maxTextLength,
    minExamplesPerLabel: c.data.minExamplesPerLabel,
    strict: c.data.strict,
  };
}

export async function openModel(dir: string, c: Config): Promise<IntentModel> {
  return IntentModel.fromBundle(readBundle(dir), embedderOptions(c));
}

/** One bundle, or `a,b,…`: a cascade from the cheapest to the costliest model. */
export async function openClassifier(spec: string, c: Config): Promise<Classifier> {
  const dirs = spec.split(',').map((d) => d.trim()).filter(Boolean);
  const models = await Promise.all(dirs.map((d) => openModel(d, c)));
  return models.length === 1 ? models[0] : new Cascade(models);
}

// --- lifecycle: tracking, registry ---------------------------------------------------------

export async function openTracking(c: Config): Promise<TrackingStore> {
  return openTrackingStore(c.tracking.uri);
}

export async function openRegistry(c: Config): Promise<Registry> {
  return { store: await openRegistryStore(c.registry.uri), artifacts: openArtifactStore(c.registry.artifacts) };
}

export async function openReviewStoreFor(c: Config, uri?: string): Promise<ReviewStore> {
  return openReviewStore(uri ?? c.review.uri);
}

/** Who acts, for audit logs: $INTENTOPS_USER, else the OS user. */
export function whoAmI(env: NodeJS.ProcessEnv = process.env): string {
  return env.INTENTOPS_USER || env.USER || userInfo().username || 'unknown';
}

/** A registry reference: `models:/NAME@ALIAS`, `models:/NAME/V`, or `NAME@ALIAS` / `NAME/V` when no such directory exists. */
export function isRegistryRef(spec: string): boolean {
  if (spec.startsWith('models:/')) return true;
  return !existsSync(spec) && /^[A-Za-z0-9][\w.-]*(@[A-Za-z][\w-]*|\/(\d+|latest))$/.test(spec);
}

/** Turns each part of `dir[,dir…]` that is a registry reference into the path of its stored bundle. */
export async function resolveModelRef(spec: string, c: Config): Promise<string> {
  const parts = spec.split(',').map((p) => p.trim()).filter(Boolean);
  if (!parts.some(isRegistryRef)) return spec;
  const reg = await openRegistry(c);
  try {
    const out: string[] = [];
    for (const p of parts) out.push(isRegistryRef(p) ? (await resolveModelUri(reg, p)).path : p);
    return out.join(',');
  } finally {
    await reg.store.close();
  }
}

/**
 * Polls an alias reference and calls `onChange` with the new bundle path when the alias moves
 * (champion promoted or rolled back). Returns a stop function. Errors are reported, not thrown:
 * the server keeps serving the model it has.
 */
export function watchAlias(ref: string, c: Config, onChange: (path: string, version: number) => Promise<void>, onError: (e: unknown) => void): () => void {
  const parsed = parseModelUri(ref.startsWith('models:/') ? ref : `models:/${ref}`);
  let current: number | undefined;
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      const reg = await openRegistry(c);
      try {
        const v = await reg.store.getVersion(parsed.name, parsed.ref);
        if (v && current !== undefined && v.version !== current) await onChange((await resolveModelUri(reg, `models:/${v.name}/${v.version}`)).path, v.version);
        if (v) current = v.version;
      } finally {
        await reg.store.close();
      }
    } catch (e) {
      onError(e);
    } finally {
      busy = false;
    }
  };
  void tick();
  const timer = setInterval(tick, Math.max(100, c.registry.pollMs));
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Opens what `serve --model` names: a bundle directory, or one registry reference, which then
 * answers as its registry version (`{ name, version: "3" }`, see serveAs).
 */
export async function openServedModel(spec: string, c: Config): Promise<IntentModel> {
  if (spec.includes(',') || !isRegistryRef(spec)) return openModel(await resolveModelRef(spec, c), c);
  const reg = await openRegistry(c);
  try {
    const r = await resolveModelUri(reg, spec);
    return serveAs(await openModel(r.path, c), { name: r.name, version: String(r.version) });
  } finally {
    await reg.store.close();
  }
}

/** `models:/NAME@champion` (or `NAME@champion`): the served model follows a rollout. */
export function championOf(spec: string): string | undefined {
  if (spec.includes(',') || !isRegistryRef(spec)) return undefined;
  const { name, ref } = parseModelUri(spec);
  return typeof ref === 'object' && ref.alias === 'champion' ? name : undefined;
}

/**
 * The quality gate `rollout promote` runs: the challenger against the champion on labelled test
 * data, exactly as `intentops promote` does. undefined when no gates file or data is given.
 */
export function rolloutGate(c: Config, files: { gates?: string; data?: string } = {}): ChallengerGate | undefined {
  const gates = files.gates ?? c.rollout.gates;
  const data = files.data ?? c.rollout.data;
  if (!gates || !data) return undefined;
  return async (challenger, champion) => {
    // loaded when a promotion happens: gate.ts builds on this module
    const { gateModels, loadGatesFile } = await import('./services/gate.js');
    const g = loadGatesFile(gates);
    const reg = await openRegistry(c);
    try {
      const open = async (v: ModelVersion) => openModel((await resolveModelUri(reg, `models:/${v.name}/${v.version}`)).path, c);
      const candidate = await open(challenger);
      const baseline = champion ? await open(champion) : undefined;
      const examples = (await loadExamples(data, { ...loadOptions(c), keepDuplicates: true })).examples;
      return await gateModels({ gates: g, candidate, baseline, examples });
    } finally {
      await reg.store.close();
    }
  };
}

/** Rollout control for `intentops rollout`: registry, rollout state and the outcome stores from config. */
export async function openRolloutControl(c: Config, o: { gates?: string; data?: string; outcomes?: OutcomeSources } = {}): Promise<{ service: RolloutService; registry: Registry; close(): Promise<void> }> {
  const registry = await openRegistry(c);
  try {
    const rollout = await openRolloutStore(c.registry.uri);
    const service = new RolloutService({ registry, rollout, gate: rolloutGate(c, o), outcomes: o.outcomes, rule: abRule(c) });
    return { service, registry, close: async () => void (await Promise.allSettled([rollout.close(), registry.store.close()])) };
  } catch (e) {
    await registry.store.close();
    throw e;
  }
}

function abRule(c: Config) {
  return { alpha: c.rollout.alpha, minSamples: c.rollout.minSamples, minEffect: c.rollout.minEffect };
}

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

/** A champion served under a rollout: the registry, the shared state and what this process routes. */
async function openLiveRollout(name: string, c: Config): Promise<{ registry: Registry; live: LiveRollout; rollout: Awaited<ReturnType<typeof openRolloutStore>> }> {
  const registry = await openRegistry(c);
  try {
    const rollout = await openRolloutStore(c.registry.uri);
    try {
      const load = async (v: ModelVersion) => serveAs(await openModel((await resolveModelUri(registry, `models:/${v.name}/${v.version}`)).path, c), { name: v.name, version: String(v.version) });
      return { registry, rollout, live: await LiveRollout.open({ name, registry: registry.store, rollout, load }) };
    } catch (e) {
      await rollout.close();
      throw e;
    }
  } catch (e) {
    await registry.store.close();
    throw e;
  }
}

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
    const llm = c.llm.provider === OFF ? undefined : await createLlm(c.llm.provider, llmOptions(c));
    const cache = c.cache.uri === OFF ? undefined : await openCache<CachedAnswer>(c.cache.uri);
    if (cache) opened.push(cache);
    const keys = c.server.apiKeys;
    const limited = keys.length > 0 && c.server.rateLimit.ratePerSecond > 0;
    const limiter = limited ? await openRateLimiter(c.server.rateLimit.uri, { ratePerSecond: c.server.rateLimit.ratePerSecond, burst: c.server.rateLimit.burst }) : undefined;
    if (limiter) opened.push(limiter);
    // last: the default SQLite store creates a file, which a configuration mistake above should not leave behind
    const review = c.review.uri === OFF ? undefined : await openReviewStore(c.review.uri);
    if (review) opened.push(review);

    const metrics = new ServiceMetrics({ cacheEnabled: cache !== undefined });
    metrics.setModel(modelIdentity(current()));
    if (llm && 'stats' in llm && typeof llm.stats === 'function') metrics.trackLlm(() => (llm as OpenAiChatLlm).stats());
    const ops = await openOperations(c, { log, metrics, current, llm });
    opened.push(ops);
    const extra = o.observer;
    const observer: ClassifyObserver = {
      onResult: (r, input) => {
        metrics.onResult(r);
        ops.observer.onResult(r, input);
        extra?.onResult(r, input);
      },
      onShadow: (champion, shadow, input) => {
        ops.observer.onShadow?.(champion, shadow, input);
        extra?.onShadow?.(champion, shadow, input);
      },
      onShadowError: (e) => log.warn({ err: (e as Error).message }, 'shadow scoring failed; answers were not affected'),
      onLlmError: (e) => log.warn({ err: (e as Error).message, code: (e as { code?: string }).code }, 'LLM fallback failed; message sent to review'),
      onCacheError: (e) => log.warn({ err: (e as Error).message }, 'answer cache unavailable; classified without it'),
    };
    const redact = (t: string) => ops.redactor(t).text;
    const classify = new ClassifyService({ model: current, arms: ro?.live.arms, shadowQueue: c.rollout.shadowQueue, llm: ops.llm, review, redact, cache, cacheTtlMs: c.cache.ttlMs, observer });
    const checks: Record<string, () => Promise<void>> = { model: async () => void current().labels.length, ...ops.checks };
    if (review) checks.review = async () => void (await review.list({ limit: 1 }));
    if (cache) checks.cache = async () => void (await cache.get('readyz:probe'));
    if (limiter) checks.rateLimiter = async () => void (await limiter.take('readyz:probe'));

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
      settings: { ...c.server, logTexts: c.logging.texts },
      lifecycle: { draining: false },
      feedback: ops.feedback,
      monitor: ops.monitors ? () => ops.monitors?.get() : undefined,
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
          const next = serveAs(await openModel(path, c), { name, version: String(version) });
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
        return closeAll(opened);
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
    maxRetries: l.maxRetries,
    circuit: l.circuit,
    maxConcurrent: l.maxConcurrency,
    maxQueue: l.maxQueue,
    prices: l.prices,
    responseFormat: l.responseFormat,
    ...(l.promptFile ? { promptFile: l.promptFile } : {}),
  };
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
