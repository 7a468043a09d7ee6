import { z } from 'zod';
import { IntentOpsError } from '../../core/errors.js';
import type { Embedding } from '../../core/types.js';
import type { EmbedderFactory, EmbedderState, PersistableEmbedder, Progress } from '../../ports/embedder.js';
import { requestEmbeddings, type Endpoint } from './openai-http.js';

/**
 * Embeddings from OpenAI, Azure OpenAI or any server with an OpenAI-compatible `/embeddings`
 * route (vLLM, Ollama, LiteLLM, ...), over plain `fetch`.
 *
 * @example
 *   const embedder = await openaiEmbedder.create({ model: 'text-embedding-3-small', apiKey: key });
 *   const azure = await openaiEmbedder.create({
 *     apiKey: key, azure: { endpoint: 'https://my-res.openai.azure.com', deployment: 'emb-small' },
 *   });
 */

const Azure = z.strictObject({
  /** `https://<resource>.openai.azure.com` */
  endpoint: z.url(),
  deployment: z.string().min(1),
  apiVersion: z.string().min(1).default('2024-10-21'),
});

const Options = z
  .strictObject({
    baseUrl: z.url().default('https://api.openai.com/v1'),
    /** Required except in Azure mode, where the deployment picks the model. */
    model: z.string().min(1).optional(),
    /** Optional: local compatible servers often need none. Never stored in a bundle. */
    apiKey: z.string().min(1).optional(),
    azure: Azure.optional(),
    /** Ask the server to shorten vectors (text-embedding-3-*). */
    dimensions: z.number().int().min(1).optional(),
    batchSize: z.number().int().min(1).max(2048).default(64),
    timeoutMs: z.number().int().min(1).default(30_000),
    maxRetries: z.number().int().min(0).default(4),
    /** First backoff step; doubles each retry, with jitter. */
    retryBaseMs: z.number().int().min(0).default(500),
  })
  .refine((o) => o.model !== undefined || o.azure !== undefined, {
    message: "'model' is required (or 'azure' with a deployment)",
    path: ['model'],
  });
type Options = z.infer<typeof Options>;

/** Widths of the well-known models, so creating an embedder needs no network call. */
const KNOWN_DIMS: Readonly<Record<string, number>> = Object.freeze({
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'text-embedding-ada-002': 1536,
});

/** Azure settings may also come flat: `{ azure: true, endpoint, deployment, apiVersion }`. */
function foldAzure(input: Record<string, unknown>): Record<string, unknown> {
  const { azure, endpoint, deployment, apiVersion, ...rest } = input;
  if (azure === true) return { ...rest, azure: { endpoint, deployment, apiVersion } };
  if (azure === false) return rest;
  return input;
}

function parseOptions(input: Record<string, unknown>): Options {
  const r = Options.safeParse(foldAzure(input));
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  throw new IntentOpsError('invalid_config', issue.message, {
    where: ['embedder.openai', ...issue.path].join('.'),
    hint:
      'options: model, apiKey, baseUrl, azure {endpoint, deployment, apiVersion}, dimensions, batchSize, ' +
      'timeoutMs, maxRetries, retryBaseMs',
  });
}

function endpointOf(o: Options): Endpoint {
  const common = { apiKey: o.apiKey, timeoutMs: o.timeoutMs, maxRetries: o.maxRetries, retryBaseMs: o.retryBaseMs };
  if (o.azure) {
    const { endpoint, deployment, apiVersion } = o.azure;
    const url = `${endpoint.replace(/\/+$/, '')}/openai/deployments/${encodeURIComponent(deployment)}/embeddings`;
    return { ...common, url: `${url}?api-version=${encodeURIComponent(apiVersion)}`, azure: true };
  }
  return { ...common, url: `${o.baseUrl.replace(/\/+$/, '')}/embeddings`, azure: false };
}

function unit(values: readonly number[]): Float32Array {
  const v = Float32Array.from(values);
  let sum = 0;
  for (const x of v) sum += x * x;
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i] /= norm;
  return v;
}

function requestBody(o: Options, batch: readonly string[]): { input: string[] } & Record<string, unknown> {
  return {
    // The API rejects empty strings; a space embeds as "nothing" just as well.
    input: batch.map((t) => (t === '' ? ' ' : t)),
    ...(o.azure ? {} : { model: o.model }),
    ...(o.dimensions === undefined ? {} : { dimensions: o.dimensions }),
  };
}

class OpenAIEmbedder implements PersistableEmbedder {
  readonly name = 'openai';
  readonly featureDim: number;
  private readonly endpoint: Endpoint;

  constructor(
    private readonly o: Options,
    readonly dim: number,
  ) {
    this.featureDim = dim;
    this.endpoint = endpointOf(o);
  }

  async embed(texts: readonly string[], onProgress?: Progress): Promise<Embedding[]> {
    const out: Embedding[] = [];
    for (let start = 0; start < texts.length; start += this.o.batchSize) {
      const batch = texts.slice(start, start + this.o.batchSize);
      const vectors = await requestEmbeddings(this.endpoint, requestBody(this.o, batch));
      for (const v of vectors) {
        if (v.length !== this.dim) {
          throw new IntentOpsError('invalid_config', `the server returned ${v.length}-dim vectors, expected ${this.dim}`, {
            where: this.endpoint.url,
            hint: 'the model or `dimensions` differs from the one this embedder (or bundle) was made with',
          });
        }
        out.push({ dense: unit(v) });
      }
      onProgress?.(out.length, texts.length);
    }
    return out;
  }

  state(): EmbedderState {
    const { apiKey: _secret, ...rest } = this.o;
    return { name: this.name, config: JSON.parse(JSON.stringify({ ...rest, dim: this.dim })), arrays: {} };
  }
}

async function build(o: Options, dim?: number): Promise<OpenAIEmbedder> {
  const known = dim ?? o.dimensions ?? (o.model === undefined ? undefined : KNOWN_DIMS[o.model]);
  if (known !== undefined) return new OpenAIEmbedder(o, known);
  // Unknown model: one tiny request tells the width.
  const [v] = await requestEmbeddings(endpointOf(o), requestBody(o, ['dimension probe']));
  return new OpenAIEmbedder(o, v.length);
}

export const openaiEmbedder: EmbedderFactory = Object.freeze({
  description: 'OpenAI, Azure OpenAI or any OpenAI-compatible /embeddings endpoint (network)',

  async create(options: Record<string, unknown>) {
    return build(parseOptions(options));
  },

  /**
   * The bundle fixes model, dimensions and dim (a configured default model must not silently
   * change the vectors); options supply the key and may move the endpoint or tune retries.
   */
  async restore(state: EmbedderState, options: Record<string, unknown> = {}) {
    const { dim, ...stored } = state.config;
    if (typeof dim !== 'number' || !Number.isInteger(dim) || dim < 1) {
      throw new IntentOpsError('corrupt', 'the bundle has no valid embedder dim', { where: 'bundle embedder.openai.dim' });
    }
    const merged = { ...stored, ...options, model: stored.model, dimensions: stored.dimensions };
    return build(parseOptions(merged), dim);
  },
});
