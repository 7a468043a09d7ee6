import { readdirSync, statSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Embedding } from '../../core/types.js';
import type { EmbedderState, PersistableEmbedder } from '../../ports/embedder.js';
import { DiskCachedEmbedder } from './disk-cache.js';
import { tempDir } from '../../../test/helpers/sample.js';

/** A deterministic stand-in for a slow encoder that counts what it was asked to embed. */
class CountingEmbedder implements PersistableEmbedder {
  readonly name = 'counting';
  readonly dim = 4;
  readonly featureDim = 4;
  calls: string[] = [];
  constructor(private readonly version = 1) {}
  async embed(texts: readonly string[]): Promise<Embedding[]> {
    this.calls.push(...texts);
    return texts.map((t) => ({ dense: Float32Array.from([t.length, this.version, 0, 1]) }));
  }
  state(): EmbedderState {
    return { name: this.name, config: { version: this.version }, arrays: {} };
  }
}

describe('DiskCachedEmbedder', () => {
  it('embeds each text once across runs, in order, and keys by the embedder fingerprint', async () => {
    const dir = tempDir();
    const a = new CountingEmbedder();
    const first = await new DiskCachedEmbedder(a, dir).embed(['hello', 'hi', 'hello']);
    expect(first.map((e) => e.dense[0])).toEqual([5, 2, 5]);
    const b = new CountingEmbedder();
    const cached = new DiskCachedEmbedder(b, dir);
    const second = await cached.embed(['hi', 'new text', 'hello']);
    expect(b.calls).toEqual(['new text']);
    expect(second.map((e) => e.dense[0])).toEqual([2, 8, 5]);
    expect(cached.hits).toBe(2);
    // another model version does not reuse these vectors
    const c = new CountingEmbedder(2);
    await new DiskCachedEmbedder(c, dir).embed(['hi']);
    expect(c.calls).toEqual(['hi']);
    expect(readdirSync(dir)).toHaveLength(2);
  });

  it('cuts off a partial record left by a crash mid-append and stays aligned', async () => {
    const dir = tempDir();
    await new DiskCachedEmbedder(new CountingEmbedder(), dir).embed(['one', 'two']);
    const file = join(dir, readdirSync(dir)[0]);
    appendFileSync(file, Buffer.alloc(10, 7));
    const size = statSync(file).size;
    const e = new CountingEmbedder();
    const out = await new DiskCachedEmbedder(e, dir).embed(['one', 'two']);
    expect(e.calls).toEqual([]);
    expect(out.map((x) => x.dense[0])).toEqual([3, 3]);
    expect(statSync(file).size).toBe(size - 10);
    await new DiskCachedEmbedder(e, dir).embed(['three!']);
    const f = new CountingEmbedder();
    const all = await new DiskCachedEmbedder(f, dir).embed(['one', 'two', 'three!']);
    expect(f.calls).toEqual([]);
    expect(all.map((x) => x.dense[0])).toEqual([3, 3, 6]);
  });
});
