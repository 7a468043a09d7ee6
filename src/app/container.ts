import type { Hono } from 'hono';
import { readBundle } from '../adapters/bundle/index.js';
import { openCache } from '../adapters/cache/index.js';
import { createLlm, type OpenAiChatLlm } from '../adapters/llm/index.js';
import { openRateLimiter } from '../adapters/rate-limit/index.js';
import { openReviewStore } from '../adapters/stores/index.js';
import { maskUri } from '../adapters/uri.js';
import { createApp, type HttpDeps } from './http/index.js';
import type { Env } from './http/types.js';
import { ClassifyService, modelIdentity, type CachedAnswer, type ClassifyObserver } from './services/classify.js';
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
}

const OFF = 'none';

/**
 * Builds the serving stack from configuration. The model is loaded first, so a missing or
 * corrupt bundle fails before anything is opened (typed errors → CLI exit codes 3 and 4).
 *
 * @example
 *   const serving = await openServing(loadConfig({ env: process.env }), { modelDir: 'models/sample' });
 *   const res = await serving.app.request('/v1/intents');
 *   await serving.close();
 */
export async function openServing(c: Config, o: ServingOptions): Promise<Serving> {
  const log = o.log ?? createLogger({ level: c.logging.level });
  let model = await openModel(await resolveModelRef(o.modelDir, c), c);
  const opened: { close(): Promise<void> }[] = [];
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
    metrics.setModel(modelIdentity(model));
    if (llm && 'stats' in llm && typeof llm.stats === 'function') metrics.trackLlm(() => (llm as OpenAiChatLlm).stats());
    const observer: ClassifyObserver = {
      onResult: (r) => metrics.onResult(r),
      onLlmError: (e) => log.warn({ err: (e as Error).message, code: (e as { code?: string }).code }, 'LLM fallback failed; message sent to review'),
      onCacheError: (e) => log.warn({ err: (e as Error).message }, 'answer cache unavailable; classified without it'),
    };
    const classify = new ClassifyService({ model: () => model, llm, review, cache, cacheTtlMs: c.cache.ttlMs, observer });
    const checks: Record<string, () => Promise<void>> = { model: async () => void model.labels.length };
    if (review) checks.review = async () => void (await review.list({ limit: 1 }));
    if (cache) checks.cache = async () => void (await cache.get('readyz:probe'));
    if (limiter) checks.rateLimiter = async () => void (await limiter.take('readyz:probe'));

    if (!keys.length) log.warn('no API keys configured (server.apiKeys / INTENTOPS_API_KEYS): authentication and rate limiting are off');
    const deps: HttpDeps = {
      classify,
      model: () => model,
      reviews: review ? new ReviewService(review, () => model.labels) : undefined,
      limiter,
      metrics,
      log,
      checks,
      settings: { ...c.server, logTexts: c.logging.texts },
      lifecycle: { draining: false },
    };
    const app = createApp(deps, { version: o.version });
    // a served alias (models:/NAME@champion) follows its moves: the new model is loaded next to
    // the old one and swapped in with one assignment, so no request sees a half-loaded model
    let stopWatch: (() => void) | undefined;
    if (isRegistryRef(o.modelDir) && /@/.test(o.modelDir) && c.registry.pollMs > 0) {
      stopWatch = watchAlias(
        o.modelDir,
        c,
        async (path, version) => {
          const next = await openModel(path, c);
          model = next;
          metrics.setModel(modelIdentity(next));
          log.info({ ref: o.modelDir, version, model: modelIdentity(next) }, 'alias moved: model swapped');
        },
        (e) => log.warn({ err: (e as Error).message }, 'registry poll failed; still serving the current model'),
      );
    }
    log.info({ model: modelIdentity(model), llm: llm ? c.llm.model : OFF, review: review ? maskUri(c.review.uri) : OFF, cache: cache ? maskUri(c.cache.uri) : OFF, auth: keys.length > 0 }, 'serving stack ready');
    return {
      app,
      deps,
      log,
      model: () => model,
      async loadModel(dir) {
        const next = await openModel(await resolveModelRef(dir, c), c);
        model = next;
        metrics.setModel(modelIdentity(next));
        log.info({ model: modelIdentity(next) }, 'model loaded');
        return next;
      },
      close: () => {
        stopWatch?.();
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
