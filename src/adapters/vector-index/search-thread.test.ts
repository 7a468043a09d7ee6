import { describe, expect, it } from 'vitest';
import { rejection } from '../../../test/helpers/sample.js';
import { exactIndex } from './exact.js';
import { hnswIndex } from './hnsw.js';
import { ownBuffer, startSearchThread } from './search-thread.js';

/** Deterministic pseudo-random unit-ish vectors (mulberry32). */
function vectors(n: number, dim: number, seed: number): Float32Array[] {
  let a = seed;
  const rnd = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
  return Array.from({ length: n }, () => Float32Array.from({ length: dim }, rnd));
}

describe('search thread', () => {
  for (const factory of [hnswIndex, exactIndex]) {
    const kind = factory === hnswIndex ? 'hnsw' : 'exact';
    it(`answers exactly what the ${kind} index answers on the caller's thread`, async () => {
      const index = factory.create(32);
      const data = vectors(1500, 32, 1);
      index.add(data, Int32Array.from(data, (_, i) => i % 7));
      const bg = await startSearchThread(kind, index.toBytes());
      try {
        const queries = vectors(200, 32, 2);
        const got = await Promise.all(queries.map((q) => bg.search(q, 5)));
        expect(got).toEqual(queries.map((q) => index.search(q, 5)));
      } finally {
        await bg.close();
      }
    });
  }

  it('answers queries that are views into a larger buffer (slab-allocated embeddings) as the index does, sending only the view', async () => {
    const index = hnswIndex.create(32);
    const data = vectors(300, 32, 6);
    index.add(data, Int32Array.from(data, (_, i) => i % 5));
    const slab = new ArrayBuffer(1 << 16);
    const views = vectors(20, 32, 7).map((v, i) => {
      const view = new Float32Array(slab, 4096 + i * 32 * 4, 32);
      view.set(v);
      return view;
    });
    // what is posted holds the view's 128 bytes, not the 64 KiB slab; the values are the same
    const sent = ownBuffer(views[3]);
    expect(sent.buffer.byteLength).toBe(32 * 4);
    expect(Array.from(sent)).toEqual(Array.from(views[3]));
    const whole = new Float32Array(32);
    expect(ownBuffer(whole)).toBe(whole);
    const bg = await startSearchThread('hnsw', index.toBytes());
    try {
      expect(await Promise.all(views.map((q) => bg.search(q, 3)))).toEqual(views.map((q) => index.search(q, 3)));
    } finally {
      await bg.close();
    }
  });

  it('rejects searches once closed, and while a search is waiting on a closing thread', async () => {
    const index = exactIndex.create(4);
    index.add(vectors(10, 4, 3), [0, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
    const bg = await startSearchThread('exact', index.toBytes());
    const waiting = bg.search(vectors(1, 4, 4)[0], 3).then(
      (r) => ({ r }),
      (e: Error) => ({ e }),
    );
    await bg.close();
    await bg.close(); // idempotent
    const err = await rejection(bg.search(vectors(1, 4, 5)[0], 3));
    expect(err.code).toBe('unavailable');
    expect(err.message).toMatch(/search thread: closed/);
    // the one in flight was either answered before the close or rejected, never left hanging
    const w = await waiting;
    if ('r' in w) expect(w.r).toHaveLength(3);
    else expect(w.e.message).toMatch(/closed/);
  });

  it('fails to start on bytes that are not an index, saying so', async () => {
    const err = await rejection(startSearchThread('hnsw', new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])));
    expect(err.code).toBe('unavailable');
    expect(err.message).toMatch(/hnsw search thread failed to start/);
  });
});
