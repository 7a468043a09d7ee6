import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { IntentOpsError } from '../../core/errors.js';
import type { Embedding } from '../../core/types.js';
import type { EmbedderFactory, EmbedderState, PersistableEmbedder, Progress } from '../../ports/embedder.js';
import { readModelDir, sha256, type ModelDir, type Pooling } from './onnx-model-dir.js';
import { loadRuntime, runBatch, tokenize, type Runtime } from './onnx-runtime.js';

/**
 * Local transformer sentence encoder: any sentence-transformers ONNX export on disk.
 *
 * @example
 *   const embedder = await onnxEmbedder.create({ modelDir: '../shared/models/all-MiniLM-L6-v2-q4' });
 *   const [e] = await embedder.embed(['I lost my card']);   // e.dense: unit Float32Array(384)
 */

const Options = z.strictObject({
  /** Folder of the export (tokenizer.json, config.json, onnx/*.onnx). Relative paths use the cwd. */
  modelDir: z.string({ error: 'modelDir is required: the folder of a sentence-transformers ONNX export' }).min(1),
  /** Which .onnx to run, relative to modelDir or its onnx/ folder. Default: model.onnx, model_quantized.onnx, model_q4.onnx. */
  file: z.string().min(1).optional(),
  threads: z.number().int().min(1).default(2),
  /** Default: the model's own limit (sentence_bert_config.json, else tokenizer_config.json), at most 512. */
  maxLength: z.number().int().min(2).max(512).optional(),
  batchSize: z.number().int().min(1).default(32),
  /** Default: from 1_Pooling/config.json, else mean. */
  pooling: z.enum(['mean', 'cls']).optional(),
  normalize: z.boolean().default(true),
});
type Options = z.infer<typeof Options>;

/** What a bundle stores; `modelDir` may be overridden at restore so bundles can move machines. */
const Stored = z.object({
  modelDir: z.string().min(1),
  file: z.string().min(1),
  pooling: z.enum(['mean', 'cls']),
  maxLength: z.number().int().min(2),
  dim: z.number().int().min(1),
  modelSha256: z.string().regex(/^[0-9a-f]{64}$/),
  normalize: z.boolean().default(true),
});

function parse<T>(schema: z.ZodType<T>, input: unknown, where: string): T {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const field = issue.path.length ? `.${issue.path.join('.')}` : '';
  throw new IntentOpsError('invalid_config', issue.message, {
    where: `${where}${field}`,
    hint: 'options: modelDir (required), file, threads, maxLength, batchSize, pooling (mean|cls), normalize',
  });
}

interface Settings {
  readonly options: Options;
  readonly layout: ModelDir;
  readonly pooling: Pooling;
  readonly maxLength: number;
  readonly expectSha256?: string;
}

function l2normalize(v: Float32Array): Float32Array {
  let sum = 0;
  for (const x of v) sum += x * x;
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i] /= norm;
  return v;
}

class OnnxEmbedder implements PersistableEmbedder {
  readonly name = 'onnx';
  readonly dim: number;
  readonly featureDim: number;
  private loading?: Promise<Runtime>;
  private fileSha256?: string;

  constructor(
    private readonly s: Settings,
    dim: number,
    runtime?: Runtime,
  ) {
    this.dim = dim;
    this.featureDim = dim;
    if (runtime) {
      this.loading = Promise.resolve(runtime);
      this.fileSha256 = runtime.sha256;
    }
  }

  private runtime(): Promise<Runtime> {
    // A failed load is forgotten so that a fixed folder works without restarting the process.
    this.loading ??= loadRuntime(this.s.layout, { threads: this.s.options.threads, expectSha256: this.s.expectSha256 }).then(
      (rt) => {
        this.fileSha256 = rt.sha256;
        return rt;
      },
      (e: unknown) => {
        this.loading = undefined;
        throw e;
      },
    );
    return this.loading;
  }

  async embed(texts: readonly string[], onProgress?: Progress): Promise<Embedding[]> {
    if (texts.length === 0) return [];
    const rt = await this.runtime();
    const rows = tokenize(rt, texts, this.s.maxLength);
    // Similar lengths share a batch, so little compute is spent on padding: sorted by length,
    // a batch closes when it is full or when padding would exceed MAX_PADDING of its tokens
    // (measured: at batch 32 unsorted chunks of 64 texts ran at ~200/s against ~370/s one by one).
    const order = rows.map((_, i) => i).sort((a, b) => rows[a].length - rows[b].length);
    const out = new Array<Embedding>(texts.length);
    let done = 0;
    for (const idx of packBatches(order, (i) => rows[i].length, this.s.options.batchSize)) {
      const vectors = await runBatch(rt, idx.map((i) => rows[i]), this.s.pooling);
      vectors.forEach((v, k) => {
        if (v.length !== this.dim) {
          throw new IntentOpsError('corrupt', `the model returned ${v.length}-dim vectors, expected ${this.dim}`, {
            where: this.s.layout.onnxPath,
            hint: 'config.json hidden_size does not match the ONNX graph; fix config.json or use the matching model',
          });
        }
        out[idx[k]] = { dense: this.s.options.normalize ? l2normalize(v) : v };
      });
      done += idx.length;
      onProgress?.(done, texts.length);
    }
    return out;
  }

  state(): EmbedderState {
    this.fileSha256 ??= sha256(readFileSync(this.s.layout.onnxPath));
    return {
      name: this.name,
      config: {
        modelDir: this.s.options.modelDir,
        file: this.s.layout.file,
        pooling: this.s.pooling,
        maxLength: this.s.maxLength,
        dim: this.dim,
        modelSha256: this.fileSha256,
        normalize: this.s.options.normalize,
      },
      arrays: {},
    };
  }
}

async function build(options: Options, expect?: { dim: number; sha256: string }): Promise<OnnxEmbedder> {
  const layout = readModelDir(options.modelDir, options.file);
  const settings: Settings = {
    options,
    layout,
    pooling: options.pooling ?? layout.pooling ?? 'mean',
    maxLength: Math.min(options.maxLength ?? layout.maxLength, layout.maxPositions),
    expectSha256: expect?.sha256,
  };
  const dim = layout.hiddenSize ?? expect?.dim;
  if (dim !== undefined) return new OnnxEmbedder(settings, dim);
  // No config.json to read the width from: load now and measure one input.
  const rt = await loadRuntime(layout, { threads: options.threads, expectSha256: expect?.sha256 });
  const [probe] = await runBatch(rt, tokenize(rt, ['hello'], settings.maxLength), settings.pooling);
  return new OnnxEmbedder(settings, probe.length, rt);
}

export const onnxEmbedder: EmbedderFactory = Object.freeze({
  description: 'local transformer sentence encoder (ONNX export + onnxruntime-node), e.g. all-MiniLM-L6-v2',

  async create(options: Record<string, unknown>) {
    return build(parse(Options, options, 'embedder.onnx'));
  },

  async restore(state: EmbedderState, options: Record<string, unknown> = {}) {
    const stored = parse(Stored, state.config, 'bundle embedder.onnx');
    const merged = parse(
      Options,
      {
        ...options,
        // Only the location and speed knobs may change; what shapes the vectors comes from the bundle.
        modelDir: options.modelDir ?? stored.modelDir,
        file: stored.file,
        maxLength: stored.maxLength,
        pooling: stored.pooling,
        normalize: stored.normalize,
      },
      'embedder.onnx',
    );
    const embedder = await build(merged, { dim: stored.dim, sha256: stored.modelSha256 });
    if (embedder.dim !== stored.dim) {
      throw new IntentOpsError('invalid_config', `the model has dim ${embedder.dim} but the bundle expects ${stored.dim}`, {
        where: merged.modelDir,
        hint: 'point modelDir at the model the bundle was trained with',
      });
    }
    return embedder;
  },
});

/** Padding tolerated in a batch, as a share of its real tokens. */
const MAX_PADDING = 0.1;

/**
 * Splits rows already sorted by length into batches of at most `max` rows whose padding
 * (rows × longest − Σ lengths) stays within MAX_PADDING of their tokens.
 */
export function packBatches(sorted: readonly number[], len: (i: number) => number, max: number): number[][] {
  const out: number[][] = [];
  let cur: number[] = [];
  let tokens = 0;
  for (const i of sorted) {
    const l = len(i);
    const padded = (cur.length + 1) * l;
    if (cur.length && (cur.length >= max || padded - (tokens + l) > MAX_PADDING * (tokens + l))) {
      out.push(cur);
      cur = [];
      tokens = 0;
    }
    cur.push(i);
    tokens += l;
  }
  if (cur.length) out.push(cur);
  return out;
}
