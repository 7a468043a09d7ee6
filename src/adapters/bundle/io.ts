import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { IntentOpsError } from '../../core/errors.js';
import type { Bundle, ManifestDraft } from '../../core/bundle/types.js';
import type { LabelledText } from '../../core/types.js';
import { recoverSwap, writeDirAtomic, writeFileDurable, type WriteStep } from './atomic.js';
import { BUNDLE_SCHEMA_VERSION, manifestSchema, type FileRef, type Manifest } from '../../core/bundle/manifest.js';

export type { Bundle, ManifestDraft };

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const f32bytes = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Writes a bundle directory atomically (see writeDirAtomic): the old bundle stays loadable until the new one is whole. */
export function writeBundle(
  dir: string,
  draft: ManifestDraft,
  parts: Omit<Bundle, 'manifest'>,
  onStep?: (s: WriteStep | 'weights-written') => void,
): Manifest {
  let manifest: Manifest | undefined;
  writeDirAtomic(
    dir,
    (tmp) => {
      const put = (file: string, data: Uint8Array): FileRef => {
        writeFileDurable(join(tmp, file), data);
        return { file, bytes: data.byteLength, sha256: sha256(data) };
      };
      const wb = new Float32Array(parts.weights.length + parts.bias.length);
      wb.set(parts.weights);
      wb.set(parts.bias, parts.weights.length);
      const weights = put('weights.f32', f32bytes(wb));
      onStep?.('weights-written');
      const arrays: Manifest['embedder']['arrays'] = {};
      for (const [name, arr] of Object.entries(parts.embedderArrays)) {
        arrays[name] = { ...put(`embedder-${name}.f32`, f32bytes(arr)), length: arr.length };
      }
      const index = put('index.bin', parts.indexBytes);
      const examples = put('examples.jsonl', Buffer.from(parts.examples.map((e) => JSON.stringify({ text: e.text, label: e.label })).join('\n') + '\n'));
      manifest = manifestSchema.parse({
        ...draft,
        schemaVersion: BUNDLE_SCHEMA_VERSION,
        kind: 'intentops-model',
        embedder: { ...draft.embedder, arrays },
        classifier: { ...draft.classifier, weights },
        index: { ...draft.index, file: index },
        examples,
      });
      // manifest last: a directory without one is never mistaken for a bundle
      writeFileDurable(join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    },
    onStep,
  );
  return manifest!;
}

function readChecked(dir: string, ref: FileRef): Uint8Array {
  const path = join(dir, ref.file);
  if (!existsSync(path)) {
    throw new IntentOpsError('corrupt', `model bundle is missing ${ref.file}`, { where: path, hint: 'the bundle is incomplete: retrain it or restore it from the registry' });
  }
  const data = readFileSync(path);
  if (data.byteLength !== ref.bytes || sha256(data) !== ref.sha256) {
    throw new IntentOpsError('corrupt', `checksum mismatch for ${ref.file} (expected ${ref.bytes} bytes, sha256 ${ref.sha256.slice(0, 12)}…)`, {
      where: path,
      hint: 'the file was modified or truncated: retrain the model or restore the bundle from a copy',
    });
  }
  return data;
}

/**
 * The f32 values of a file's bytes: a view when the bytes are a whole buffer of their own (what
 * readFileSync returns for a file: no copy of a bundle's tens of MB of weights), else a copy (a
 * view needs a 4-byte-aligned offset, and must not share memory with other data).
 */
function toF32(b: Uint8Array): Float32Array {
  if (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.byteLength % 4 === 0 && b.buffer instanceof ArrayBuffer) return new Float32Array(b.buffer);
  const copy = new Uint8Array(b.byteLength);
  copy.set(b);
  return new Float32Array(copy.buffer);
}

/** Reads and verifies a bundle: schema version, manifest shape, and every file's checksum. */
export function readBundle(dir: string): Bundle {
  recoverSwap(dir);
  const mpath = join(dir, 'manifest.json');
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new IntentOpsError('not_found', `no model bundle at ${dir}`, { where: dir, hint: 'train one with `intentops train --data FILE --out DIR`, or pass the right --model' });
  }
  if (!existsSync(mpath)) {
    throw new IntentOpsError('corrupt', `${dir} has no manifest.json, so it is not a model bundle`, { where: mpath, hint: 'point --model at a directory written by `intentops train`' });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(mpath, 'utf8'));
  } catch (e) {
    throw new IntentOpsError('corrupt', `manifest.json is not valid JSON: ${(e as Error).message}`, { where: mpath, hint: 'retrain the model or restore the bundle' });
  }
  const version = (raw as { schemaVersion?: unknown })?.schemaVersion;
  if (version !== BUNDLE_SCHEMA_VERSION) {
    throw new IntentOpsError('corrupt', `bundle schema version ${JSON.stringify(version)} is not supported (this intentops reads version ${BUNDLE_SCHEMA_VERSION})`, {
      where: mpath,
      hint: 'retrain the model with this version of intentops',
    });
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new IntentOpsError('corrupt', `manifest.json field ${issue.path.join('.') || '(root)'}: ${issue.message}`, { where: mpath, hint: 'retrain the model or restore the bundle' });
  }
  const manifest = parsed.data;
  const wb = toF32(readChecked(dir, manifest.classifier.weights));
  const nW = manifest.classifier.dim * manifest.classifier.classes;
  if (wb.length !== nW + manifest.classifier.classes) {
    throw new IntentOpsError('corrupt', `weights hold ${wb.length} values, expected ${nW + manifest.classifier.classes}`, { where: join(dir, manifest.classifier.weights.file) });
  }
  const embedderArrays: Record<string, Float32Array> = {};
  for (const [name, ref] of Object.entries(manifest.embedder.arrays)) embedderArrays[name] = toF32(readChecked(dir, ref));
  const indexBytes = readChecked(dir, manifest.index.file);
  const examples = Buffer.from(readChecked(dir, manifest.examples))
    .toString('utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as LabelledText);
  return { manifest, weights: wb.subarray(0, nW), bias: wb.slice(nW), embedderArrays, indexBytes, examples };
}
