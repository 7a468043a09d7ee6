import { readFile } from 'node:fs/promises';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import type { Tokenizer } from '@huggingface/tokenizers';
import { IntentOpsError } from '../../core/errors.js';
import { checkExternalData, sha256, type ModelDir, type Pooling } from './onnx-model-dir.js';

/**
 * The one place that touches ONNX Runtime and the tokenizer. Both load on demand through
 * `await import()`, so nothing heavy is paid until the first text is embedded.
 */

type Ort = typeof import('onnxruntime-node');

export interface Runtime {
  readonly ort: Ort;
  readonly session: InferenceSession;
  readonly tokenizer: Tokenizer;
  /** sha256 of the .onnx file. */
  readonly sha256: string;
  readonly output: string;
  readonly feedsTokenTypes: boolean;
  readonly padId: number;
  readonly specialIds: ReadonlySet<number>;
}

export interface RuntimeOptions {
  readonly threads: number;
  /** When restoring a bundle: the model file it was trained with. */
  readonly expectSha256?: string;
}

const ORT_HINT =
  'onnxruntime-node must be installed with its native binary: npm install onnxruntime-node ' +
  '(the linux/macOS/windows CPU binaries ship inside the npm package; set ONNXRUNTIME_NODE_INSTALL=skip ' +
  'to stop its postinstall from fetching CUDA files)';

async function importOrt(): Promise<Ort> {
  try {
    return await import('onnxruntime-node');
  } catch (cause) {
    throw new IntentOpsError('unavailable', `cannot load onnxruntime-node: ${(cause as Error).message}`, {
      where: 'onnxruntime-node',
      hint: ORT_HINT,
      cause,
    });
  }
}

async function importTokenizers(): Promise<typeof import('@huggingface/tokenizers')> {
  try {
    return await import('@huggingface/tokenizers');
  } catch (cause) {
    throw new IntentOpsError('unavailable', `cannot load @huggingface/tokenizers: ${(cause as Error).message}`, {
      where: '@huggingface/tokenizers',
      hint: 'npm install @huggingface/tokenizers',
      cause,
    });
  }
}

export async function loadRuntime(layout: ModelDir, opts: RuntimeOptions): Promise<Runtime> {
  const bytes = await readFile(layout.onnxPath);
  const digest = sha256(bytes);
  if (opts.expectSha256 !== undefined && digest !== opts.expectSha256) {
    throw new IntentOpsError('corrupt', 'this ONNX model is not the one the bundle was trained with', {
      where: layout.onnxPath,
      hint: `expected sha256 ${opts.expectSha256}, found ${digest}; point modelDir at the original model or retrain`,
    });
  }
  checkExternalData(layout.onnxPath, bytes);
  const ort = await importOrt();
  const { Tokenizer } = await importTokenizers();
  let session: InferenceSession;
  try {
    session = await ort.InferenceSession.create(layout.onnxPath, {
      intraOpNumThreads: opts.threads,
      interOpNumThreads: 1,
    });
  } catch (cause) {
    throw new IntentOpsError('corrupt', `ONNX Runtime cannot load the model: ${(cause as Error).message}`, {
      where: layout.onnxPath,
      hint: 'the file may be truncated or damaged (copy it again), or need a newer onnxruntime-node',
      cause,
    });
  }
  const tokenizer = new Tokenizer(layout.tokenizerJson, layout.tokenizerConfig);
  const special = [...tokenizer.get_added_tokens_decoder().values()].filter((t) => t.special);
  const padToken = layout.tokenizerConfig.pad_token;
  return {
    ort,
    session,
    tokenizer,
    sha256: digest,
    output: pickOutput(session.outputNames),
    feedsTokenTypes: session.inputNames.includes('token_type_ids'),
    padId: (typeof padToken === 'string' ? tokenizer.token_to_id(padToken) : undefined) ?? 0,
    specialIds: new Set(special.map((t) => t.id)),
  };
}

function pickOutput(names: readonly string[]): string {
  for (const want of ['last_hidden_state', 'token_embeddings', 'sentence_embedding']) {
    if (names.includes(want)) return want;
  }
  return names[0];
}

/**
 * Token ids per text, truncated to `maxLength`. Truncation keeps the closing special token
 * ([SEP], </s>) because the model was trained to see one at the end of every input.
 */
export function tokenize(rt: Runtime, texts: readonly string[], maxLength: number): number[][] {
  return texts.map((text) => {
    const ids = rt.tokenizer.encode(text).ids;
    if (ids.length <= maxLength) return ids;
    const last = ids[ids.length - 1];
    return rt.specialIds.has(last) ? [...ids.slice(0, maxLength - 1), last] : ids.slice(0, maxLength);
  });
}

/** Runs one batch, padded to its longest row, and pools each row to one vector. */
export async function runBatch(rt: Runtime, rows: readonly number[][], pooling: Pooling): Promise<Float32Array[]> {
  const batch = rows.length;
  const len = Math.max(...rows.map((r) => r.length));
  const ids = new BigInt64Array(batch * len).fill(BigInt(rt.padId));
  const mask = new BigInt64Array(batch * len);
  rows.forEach((row, r) => {
    row.forEach((id, j) => {
      ids[r * len + j] = BigInt(id);
      mask[r * len + j] = 1n;
    });
  });
  const shape = [batch, len];
  const feeds: Record<string, Tensor> = {
    input_ids: new rt.ort.Tensor('int64', ids, shape),
    attention_mask: new rt.ort.Tensor('int64', mask, shape),
  };
  if (rt.feedsTokenTypes) feeds.token_type_ids = new rt.ort.Tensor('int64', new BigInt64Array(batch * len), shape);
  const out = (await rt.session.run(feeds, [rt.output]))[rt.output];
  const data = out.data as Float32Array;
  if (out.dims.length === 2) {
    // Already pooled by the graph (a `sentence_embedding` output).
    const dim = out.dims[1];
    return rows.map((_, r) => data.slice(r * dim, (r + 1) * dim));
  }
  const dim = out.dims[2];
  return rows.map((row, r) => pool(data, r * len * dim, row.length, dim, pooling));
}

/** Rows past `tokens` are padding; mean pooling must not see them. */
function pool(data: Float32Array, start: number, tokens: number, dim: number, pooling: Pooling): Float32Array {
  if (pooling === 'cls') return data.slice(start, start + dim);
  const acc = new Float64Array(dim);
  for (let t = 0; t < tokens; t++) {
    const at = start + t * dim;
    for (let k = 0; k < dim; k++) acc[k] += data[at + k];
  }
  const out = new Float32Array(dim);
  for (let k = 0; k < dim; k++) out[k] = acc[k] / tokens;
  return out;
}
