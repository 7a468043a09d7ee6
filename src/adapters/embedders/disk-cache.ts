import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import type { Embedding } from '../../core/types.js';
import type { Embedder, EmbedderState, PersistableEmbedder, Progress } from '../../ports/embedder.js';
import { stateOf } from './combined.js';

const KEY_BYTES = 32;

/**
 * Caches an expensive embedder's vectors on disk, keyed by sha256 of the text, in one
 * append-only file per embedder fingerprint (its saved state: model file hash, pooling, …).
 * Re-training on mostly the same data then embeds only the new texts. A crash mid-append
 * leaves a partial last record, which loading cuts off.
 */
export class DiskCachedEmbedder implements PersistableEmbedder {
  readonly name: string;
  readonly dim: number;
  readonly featureDim: number;
  private readonly file: string;
  private readonly cache = new Map<string, Float32Array>();
  hits = 0;
  misses = 0;

  constructor(readonly inner: Embedder, dir: string) {
    this.name = inner.name;
    this.dim = inner.dim;
    this.featureDim = inner.featureDim;
    const s = stateOf(inner);
    const fingerprint = createHash('sha256').update(JSON.stringify({ name: s.name, config: s.config, dim: inner.dim })).digest('hex').slice(0, 32);
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, `${inner.name}-${fingerprint}.bin`);
    this.load();
  }

  private load(): void {
    if (!existsSync(this.file)) return;
    const buf = readFileSync(this.file);
    const rec = KEY_BYTES + this.dim * 4;
    const whole = buf.length - (buf.length % rec);
    // drop a partial record (a crash mid-append) so later appends stay aligned
    if (whole !== buf.length) truncateSync(this.file, whole);
    for (let off = 0; off < whole; off += rec) {
      const key = buf.subarray(off, off + KEY_BYTES).toString('hex');
      const v = new Float32Array(this.dim);
      new Uint8Array(v.buffer).set(buf.subarray(off + KEY_BYTES, off + rec));
      this.cache.set(key, v);
    }
  }

  async embed(texts: readonly string[], onProgress?: Progress): Promise<Embedding[]> {
    const keys = texts.map((t) => createHash('sha256').update(t).digest());
    const missing: number[] = [];
    keys.forEach((k, i) => {
      if (!this.cache.has(k.toString('hex'))) missing.push(i);
    });
    this.hits += texts.length - missing.length;
    this.misses += missing.length;
    if (missing.length) {
      const fresh = await this.inner.embed(
        missing.map((i) => texts[i]),
        onProgress ? (d) => onProgress(texts.length - missing.length + d, texts.length) : undefined,
      );
      const chunks: Buffer[] = [];
      missing.forEach((i, j) => {
        const v = fresh[j].dense;
        this.cache.set(keys[i].toString('hex'), v);
        chunks.push(keys[i], Buffer.from(v.buffer, v.byteOffset, v.byteLength));
      });
      appendFileSync(this.file, Buffer.concat(chunks));
    }
    onProgress?.(texts.length, texts.length);
    return keys.map((k) => ({ dense: this.cache.get(k.toString('hex'))! }));
  }

  state(): EmbedderState {
    return stateOf(this.inner);
  }
}
