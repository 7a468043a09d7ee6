import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Embedder, EmbedderState, PersistableEmbedder } from '../../src/ports/embedder.js';

/**
 * The behaviour every Embedder adapter must share (src/ports/embedder.ts): one vector per text,
 * in order, of the announced widths, finite, the same for the same text whether embedded alone
 * or in a batch; progress up to (n, n); and, for a persistable one, the same vectors after a
 * save and restore.
 */
export interface EmbedderHarness {
  /** A ready embedder (fitted, when it needs fitting). */
  open(): Promise<Embedder>;
  /** Rebuilds an embedder from its saved state (for persistable embedders). */
  restore?(state: EmbedderState): Promise<Embedder>;
  /** Releases what `open` started (a fake server). */
  close?(): Promise<void>;
}

const TEXTS = ['I lost my card', 'Where is my parcel? It was due on Monday', 'Ich kann mich nicht einloggen', 'refund 😀 please', 'x'];

function same(a: Float32Array, b: Float32Array): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 5);
}

export function runEmbedderContract(name: string, harness: EmbedderHarness): void {
  describe(`Embedder contract: ${name}`, () => {
    let e: Embedder;
    beforeAll(async () => {
      e = await harness.open();
    });
    afterAll(async () => {
      await harness.close?.();
    });

    it('names itself and announces positive widths', () => {
      expect(typeof e.name).toBe('string');
      expect(e.name.length).toBeGreaterThan(0);
      expect(Number.isInteger(e.dim) && e.dim > 0).toBe(true);
      expect(Number.isInteger(e.featureDim) && e.featureDim > 0).toBe(true);
    });

    it('an empty batch is an empty answer', async () => {
      expect(await e.embed([])).toEqual([]);
    });

    it('one finite vector per text, in order, of width dim; sparse features inside featureDim', async () => {
      const out = await e.embed(TEXTS);
      expect(out).toHaveLength(TEXTS.length);
      for (const v of out) {
        expect(v.dense).toBeInstanceOf(Float32Array);
        expect(v.dense.length).toBe(e.dim);
        expect(v.dense.every(Number.isFinite)).toBe(true);
        if (v.sparse) {
          expect(v.sparse.indices.length).toBe(v.sparse.values.length);
          for (const i of v.sparse.indices) expect(i >= 0 && i < e.featureDim).toBe(true);
          expect([...v.sparse.values].every(Number.isFinite)).toBe(true);
        } else {
          expect(e.featureDim).toBe(e.dim);
        }
      }
      // different texts, different vectors
      expect([...out[0].dense]).not.toEqual([...out[1].dense]);
    });

    it('the same text gets the same vector alone, in a batch, and again', async () => {
      const batch = await e.embed(TEXTS);
      const alone = await e.embed([TEXTS[2]]);
      const again = await e.embed([TEXTS[2], TEXTS[2]]);
      same(alone[0].dense, batch[2].dense);
      same(again[0].dense, again[1].dense);
      same(again[0].dense, batch[2].dense);
    });

    it('reports progress up to (n, n)', async () => {
      const seen: [number, number][] = [];
      await e.embed(TEXTS, (done, total) => seen.push([done, total]));
      expect(seen.length).toBeGreaterThan(0);
      expect(seen[seen.length - 1]).toEqual([TEXTS.length, TEXTS.length]);
      for (let i = 1; i < seen.length; i++) expect(seen[i][0]).toBeGreaterThanOrEqual(seen[i - 1][0]);
    });

    it.runIf(harness.restore !== undefined)('saved and restored, it embeds the same vectors', async () => {
      const state = (e as PersistableEmbedder).state();
      expect(state.name).toBe(e.name);
      // the config is JSON-safe (it goes into manifest.json)
      expect(JSON.parse(JSON.stringify(state.config))).toEqual(state.config);
      const back = await harness.restore!(state);
      const [a, b] = [await e.embed(TEXTS), await back.embed(TEXTS)];
      expect(back.dim).toBe(e.dim);
      a.forEach((v, i) => same(v.dense, b[i].dense));
    });
  });
}
