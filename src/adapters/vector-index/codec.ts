import { crc32 } from 'node:zlib';
import { IntentOpsError } from '../../core/errors.js';

/*
 * The container both index formats share, little-endian:
 *
 *   magic   4 bytes ASCII (one per index kind)
 *   version u32
 *   fields  u32 × fieldCount (kind-specific: dim, n, ...)
 *   crc32   u32 over every byte before it and every byte after it
 *   body    kind-specific sections
 *
 * The checksum matters for HNSW above all: its body is handed to native code, which trusts it.
 */

const HOST_IS_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function corrupt(kind: string, message: string, cause?: unknown): IntentOpsError {
  return new IntentOpsError('corrupt', message, {
    where: `vector index (${kind})`,
    hint: 'the saved index is truncated or damaged: rebuild it (retrain the model bundle)',
    cause,
  });
}

/** The raw bytes of a typed array, without copying. */
export function bytesOf(a: Float32Array | Int32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

export function pack(magic: string, version: number, fields: readonly number[], body: readonly Uint8Array[]): Uint8Array {
  if (!HOST_IS_LE) throw new IntentOpsError('unavailable', 'index serialisation needs a little-endian host');
  const headLen = 8 + 4 * fields.length;
  const bodyLen = body.reduce((s, b) => s + b.byteLength, 0);
  const out = new Uint8Array(headLen + 4 + bodyLen);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = magic.charCodeAt(i);
  view.setUint32(4, version, true);
  fields.forEach((f, i) => view.setUint32(8 + 4 * i, f, true));
  let at = headLen + 4;
  for (const b of body) {
    out.set(b, at);
    at += b.byteLength;
  }
  view.setUint32(headLen, checksum(out, headLen), true);
  return out;
}

/** Checks magic, version, length and checksum; returns the fields and the body (a view, not a copy). */
export function unpack(
  bytes: Uint8Array,
  kind: string,
  magic: string,
  version: number,
  fieldCount: number,
): { fields: number[]; body: Uint8Array } {
  if (!HOST_IS_LE) throw new IntentOpsError('unavailable', 'index serialisation needs a little-endian host');
  if (!(bytes instanceof Uint8Array)) throw corrupt(kind, 'expected a byte array');
  const headLen = 8 + 4 * fieldCount;
  if (bytes.byteLength < headLen + 4) throw corrupt(kind, `only ${bytes.byteLength} bytes, shorter than the header`);
  const found = String.fromCharCode(bytes[0], bytes[1], bytes[2], bytes[3]);
  if (found !== magic) throw corrupt(kind, `bad magic ${JSON.stringify(found)}, expected ${JSON.stringify(magic)}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const v = view.getUint32(4, true);
  if (v !== version) throw corrupt(kind, `format version ${v} is not supported (expected ${version})`);
  const fields = Array.from({ length: fieldCount }, (_, i) => view.getUint32(8 + 4 * i, true));
  if (view.getUint32(headLen, true) !== checksum(bytes, headLen)) throw corrupt(kind, 'checksum mismatch');
  return { fields, body: bytes.subarray(headLen + 4) };
}

function checksum(bytes: Uint8Array, crcAt: number): number {
  return crc32(bytes.subarray(crcAt + 4), crc32(bytes.subarray(0, crcAt))) >>> 0;
}

/** Copies `count` 32-bit values out of `body` (copying also fixes alignment). */
export function readF32(body: Uint8Array, offset: number, count: number): Float32Array {
  const out = new Float32Array(count);
  new Uint8Array(out.buffer).set(body.subarray(offset, offset + 4 * count));
  return out;
}

export function readI32(body: Uint8Array, offset: number, count: number): Int32Array {
  const out = new Int32Array(count);
  new Uint8Array(out.buffer).set(body.subarray(offset, offset + 4 * count));
  return out;
}
