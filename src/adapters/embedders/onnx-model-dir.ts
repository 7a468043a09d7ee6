import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { IntentOpsError } from '../../core/errors.js';

/**
 * Reads the layout of a sentence-transformers / transformers.js ONNX export: which files exist,
 * which `.onnx` to run, and the small JSON configs. No ONNX Runtime here; that loads later.
 */

export type Pooling = 'mean' | 'cls';

/** Preferred weights, best first: full precision, then the usual quantised variants. */
const ONNX_CANDIDATES = ['model.onnx', 'model_quantized.onnx', 'model_q4.onnx'];
const MAX_POSITIONS = 512;

export const GET_MODEL_HINT =
  'put a sentence-transformers ONNX export in that folder (tokenizer.json, tokenizer_config.json, ' +
  'config.json, onnx/model*.onnx plus its .onnx_data if any), or point --model-dir / ' +
  'INTENTOPS_ONNX_MODEL_DIR at such a folder; the README section "Getting a local encoder onto a ' +
  'machine" says how to get one (the tests use ../shared/models/all-MiniLM-L6-v2-q4 beside the repo)';

export interface ModelDir {
  readonly dir: string;
  /** Absolute path of the .onnx file that will run. */
  readonly onnxPath: string;
  /** `onnxPath` relative to `dir`, with forward slashes (what a bundle stores). */
  readonly file: string;
  readonly tokenizerJson: object;
  readonly tokenizerConfig: Record<string, unknown>;
  /** Hidden size from config.json, when it says so. */
  readonly hiddenSize?: number;
  /** Pooling from 1_Pooling/config.json, when present. */
  readonly pooling?: Pooling;
  /** Longest input the model accepts, from the configs, capped at 512. */
  readonly maxLength: number;
  /** Position embeddings of the model (config.json), at most 512: no input may be longer. */
  readonly maxPositions: number;
}

function notFound(what: string, where: string, hint = GET_MODEL_HINT): IntentOpsError {
  return new IntentOpsError('not_found', `${what} not found`, { where, hint });
}

function readJson(file: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (cause) {
    throw new IntentOpsError('corrupt', `cannot parse ${path.basename(file)} as JSON`, {
      where: file,
      hint: 'the model folder looks damaged; copy it again',
      cause,
    });
  }
}

function readOptionalJson(file: string): Record<string, unknown> | undefined {
  return existsSync(file) ? readJson(file) : undefined;
}

function positiveInt(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined;
}

/** `file` may be given relative to the model dir or to its `onnx/` folder. */
function findOnnx(dir: string, file?: string): string {
  if (file !== undefined) {
    const candidates = [path.resolve(dir, file), path.resolve(dir, 'onnx', file)];
    const hit = candidates.find((p) => existsSync(p));
    if (!hit) throw notFound(`ONNX model file '${file}'`, candidates[0]!);
    return hit;
  }
  for (const sub of ['onnx', '.']) {
    for (const name of ONNX_CANDIDATES) {
      const p = path.join(dir, sub, name);
      if (existsSync(p)) return p;
    }
  }
  throw notFound(
    `no ONNX model (looked for onnx/${ONNX_CANDIDATES.join(', onnx/')})`,
    path.join(dir, 'onnx', ONNX_CANDIDATES[0]!),
    `${GET_MODEL_HINT}; or set option 'file' to the .onnx to use`,
  );
}

function readPooling(dir: string): Pooling | undefined {
  const file = path.join(dir, '1_Pooling', 'config.json');
  const cfg = readOptionalJson(file);
  if (!cfg) return undefined;
  if (cfg.pooling_mode_mean_tokens === true) return 'mean';
  if (cfg.pooling_mode_cls_token === true) return 'cls';
  throw new IntentOpsError('invalid_config', 'this model uses a pooling mode other than mean or cls', {
    where: file,
    hint: "only 'mean' and 'cls' pooling are implemented; set option 'pooling' to override",
  });
}

/**
 * sentence-transformers' own `max_seq_length` wins when the export ships it (it is what the
 * model was trained with); else the tokenizer's `model_max_length` (often a 1e30 sentinel).
 */
function readMaxLength(dir: string, tokenizerConfig: Record<string, unknown>, positions: number): number {
  const st = readOptionalJson(path.join(dir, 'sentence_bert_config.json'));
  const wanted = positiveInt(st?.max_seq_length) ?? positiveInt(tokenizerConfig.model_max_length) ?? MAX_POSITIONS;
  return Math.min(wanted, positions);
}

/** Checks the folder and reads its configs. Throws `not_found` naming the first missing file. */
export function readModelDir(modelDir: string, file?: string): ModelDir {
  const dir = path.resolve(modelDir);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw notFound('model folder', dir);
  const tokenizerPath = path.join(dir, 'tokenizer.json');
  if (!existsSync(tokenizerPath)) throw notFound('tokenizer.json', tokenizerPath);
  const onnxPath = findOnnx(dir, file);
  const tokenizerConfig = readOptionalJson(path.join(dir, 'tokenizer_config.json')) ?? {};
  const config = readOptionalJson(path.join(dir, 'config.json'));
  const maxPositions = Math.min(positiveInt(config?.max_position_embeddings) ?? MAX_POSITIONS, MAX_POSITIONS);
  return {
    dir,
    onnxPath,
    file: path.relative(dir, onnxPath).split(path.sep).join('/'),
    tokenizerJson: readJson(tokenizerPath),
    tokenizerConfig,
    hiddenSize: positiveInt(config?.hidden_size) ?? positiveInt(config?.dim) ?? positiveInt(config?.d_model),
    pooling: readPooling(dir),
    maxLength: readMaxLength(dir, tokenizerConfig, maxPositions),
    maxPositions,
  };
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Names of the external weight files an .onnx refers to. Each TensorProto with external data
 * carries a `StringStringEntryProto { key: "location", value: <file> }`, which serialises as
 * 0x0a 0x08 "location" 0x12 <varint len> <file>; scanning for that is enough to find them.
 */
export function externalDataFiles(onnx: Uint8Array): string[] {
  const marker = Buffer.from('\x0a\x08location\x12', 'latin1');
  const buf = Buffer.from(onnx.buffer, onnx.byteOffset, onnx.byteLength);
  const found = new Set<string>();
  for (let at = buf.indexOf(marker); at >= 0; at = buf.indexOf(marker, at + 1)) {
    let pos = at + marker.length;
    let len = 0;
    for (let shift = 0; pos < buf.length && shift < 28; shift += 7) {
      const byte = buf[pos++]!;
      len |= (byte & 0x7f) << shift;
      if (byte < 0x80) break;
    }
    if (len > 0 && len < 4096 && pos + len <= buf.length) found.add(buf.toString('utf8', pos, pos + len));
  }
  return [...found];
}

/** Throws `not_found` naming the first external weight file missing beside the .onnx. */
export function checkExternalData(onnxPath: string, onnx: Uint8Array): void {
  for (const name of externalDataFiles(onnx)) {
    const p = path.resolve(path.dirname(onnxPath), name);
    if (!existsSync(p)) {
      throw notFound(
        `external weights '${name}' of ${path.basename(onnxPath)}`,
        p,
        `the .onnx only holds the graph; its weights must sit beside it as ${name}. ${GET_MODEL_HINT}`,
      );
    }
  }
}
