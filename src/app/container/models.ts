import { existsSync } from 'node:fs';
import { openArtifactStore } from '../../adapters/artifacts/index.js';
import { modelBundles, readBundle } from '../../adapters/bundle/index.js';
import { restoreEmbedder, type EmbedderOptions } from '../../adapters/embedders/index.js';
import { getVectorIndexFactory } from '../../adapters/vector-index/index.js';
import type { Bundle } from '../../core/bundle/index.js';
import { openRegistryStore } from '../../adapters/registry/index.js';
import { parseModelUri } from '../../ports/model-uri.js';
import { openReviewStore } from '../../adapters/review-store/index.js';
import { openTrackingStore } from '../../adapters/tracking/index.js';
import { startSearchThread } from '../../adapters/vector-index/search-thread.js';
import type { ReviewStore } from '../../ports/review-store.js';
import type { TrackingStore } from '../../ports/tracking-store.js';
import type { Config } from '../config.js';
import { Cascade } from '../classify/cascade.js';
import { serveAs } from '../classify/service.js';
import type { LoadOptions } from '../services/dataset.js';
import type { TrainRequest } from '../services/train.js';
import { IntentModel, type Classifier } from '../classify/model.js';
import { resolveModelUri, type Registry } from '../services/registry.js';

/*
 * Part of the composition root (src/app/container/index.ts): models, stores and
 * registry references built from configuration.
 */
export function embedderOptions(c: Config): EmbedderOptions {
  return {
    onnx: { ...(c.onnx.modelDir ? { modelDir: c.onnx.modelDir } : {}), threads: c.onnx.threads },
    openai: c.openai.azureEndpoint
      ? { azure: true, endpoint: c.openai.azureEndpoint, deployment: c.openai.azureDeployment, apiVersion: c.openai.azureApiVersion, apiKey: c.openai.apiKey }
      : { baseUrl: c.openai.baseUrl, model: c.openai.model, apiKey: c.openai.apiKey },
  };
}

/** The configuration -> train request mapping, once: what `train` and `retrain` train with. */
export function trainSettings(c: Config): Pick<TrainRequest, 'embedder' | 'embedderOptions' | 'index' | 'validation' | 'cacheDir' | 'seed' | 'valFraction' | 'training' | 'groupSimilarity'> {
  return {
    embedder: c.embedder,
    embedderOptions: embedderOptions(c),
    index: c.index,
    validation: c.validation,
    cacheDir: c.cacheDir || undefined,
    seed: c.seed,
    valFraction: c.valFraction,
    ...(c.groupSimilarity !== undefined && { groupSimilarity: c.groupSimilarity }),
    training: { targetPrecision: c.targetPrecision, whenUnreached: c.whenTargetUnreached, boundTolerance: c.boundTolerance },
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

/** The model of a bundle read into memory: its embedder (with a disk cache of its slow parts' vectors when `cacheDir` is given) and vector index restored, then IntentModel.fromParts. */
export async function modelFromBundle(b: Bundle, options: EmbedderOptions = {}, cacheDir?: string): Promise<IntentModel> {
  const m = b.manifest;
  const embedder = await restoreEmbedder({ name: m.embedder.name, config: m.embedder.config, arrays: b.embedderArrays }, options, cacheDir);
  const index = getVectorIndexFactory(m.index.kind).fromBytes(b.indexBytes);
  return IntentModel.fromParts(b, embedder, index);
}

export async function openModel(dir: string, c: Config): Promise<IntentModel> {
  return modelFromBundle(readBundle(dir), embedderOptions(c));
}

/**
 * A model that scores a fixed labelled set again and again: the gate's test data at every
 * retrain and promotion (retrain, `loop run`, `promote`, `rollout promote`). With cacheDir, its
 * slow embedders' vectors (onnx, openai) come from the disk cache training fills, keyed by text:
 * each text of the set is then encoded once, not again for each model and each day (bench:loop
 * `hashed+onnx`: the gate set went through the ONNX encoder four times a day).
 */
export async function openGateModel(dir: string, c: Config): Promise<IntentModel> {
  return modelFromBundle(readBundle(dir), embedderOptions(c), c.cacheDir || undefined);
}

/** server.searchThread 'auto' moves searches to a thread for indexes of at least this many examples. */
export const SEARCH_THREAD_MIN_EXAMPLES = 2000;

/**
 * A model to serve: openModel, plus (server.searchThread) the neighbour searches of unsure
 * messages on a thread of their own, over a copy of the bundle's index. Close the model when it
 * is no longer served (a dropped one has its thread ended when it is garbage-collected).
 */
export async function openServingModel(dir: string, c: Config): Promise<IntentModel> {
  const b = readBundle(dir);
  const m = await modelFromBundle(b, embedderOptions(c));
  const mode = c.server.searchThread;
  const threaded = m.index.size > 0 && (mode === 'on' || (mode === 'auto' && m.index.size >= SEARCH_THREAD_MIN_EXAMPLES));
  return threaded ? m.searchInBackground(await startSearchThread(m.manifest.index.kind, b.indexBytes)) : m;
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
  return { store: await openRegistryStore(c.registry.uri), artifacts: openArtifactStore(c.registry.artifacts), bundles: modelBundles };
}

export async function openReviewStoreFor(c: Config, uri?: string): Promise<ReviewStore> {
  return openReviewStore(uri ?? c.review.uri);
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
  if (spec.includes(',') || !isRegistryRef(spec)) return openServingModel(await resolveModelRef(spec, c), c);
  const reg = await openRegistry(c);
  try {
    const r = await resolveModelUri(reg, spec);
    return serveAs(await openServingModel(r.path, c), { name: r.name, version: String(r.version) });
  } finally {
    await reg.store.close();
  }
}

