import { describe, expect, it } from 'vitest';
import { runFoldsHere, TRAINING_DEFAULTS, type FoldJob } from '../core/classifier/train.js';
import { mulberry32 } from '../core/dataset/index.js';
import type { FeatureMatrix } from '../core/classifier/matrix.js';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { foldThreads } from './fold-threads.js';
import { compiledTwin, startThreadsFromCompiled } from './module-worker.js';

/** A small sparse problem: class c lights feature c strongly, plus seeded noise features. */
function problem(rows: number, classes: number, seed: number): { X: FeatureMatrix; y: Int32Array } {
  const r = mulberry32(seed);
  const dim = 64;
  const indptr = new Int32Array(rows + 1);
  const indices: number[] = [];
  const values: number[] = [];
  const y = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    y[i] = i % classes;
    const f = new Set([y[i], classes + Math.floor(r() * (dim - classes)), classes + Math.floor(r() * (dim - classes))]);
    for (const j of [...f].sort((a, b) => a - b)) {
      indices.push(j);
      values.push(j === y[i] ? 1 : r());
    }
    indptr[i + 1] = indices.length;
  }
  return { X: { rows, dim, indptr, indices: Int32Array.from(indices), values: Float32Array.from(values) }, y };
}

describe('foldThreads', () => {
  it('gives exactly the answers of the in-thread runner, in job order, whichever thread runs which fold', async () => {
    const jobs: FoldJob[] = [1, 2, 3, 4, 5].map((s) => {
      const train = problem(300 + 40 * s, 5, s);
      const val = problem(60, 5, 100 + s);
      return { train, classes: 5, val: s % 2 ? val : undefined, predict: val.X, epochs: s % 2 ? undefined : 3, seed: 1000 + s };
    });
    const o = { ...TRAINING_DEFAULTS, maxEpochs: 6 };
    const here = await runFoldsHere(jobs, o);
    const threaded = await foldThreads(2)(jobs, o);
    expect(threaded).toHaveLength(jobs.length);
    threaded.forEach((r, i) => {
      expect(r.bestEpoch).toBe(here[i].bestEpoch);
      expect(Array.from(r.logits)).toEqual(Array.from(here[i].logits));
    });
    // the folds learned something: most held-out rows get their own class
    const K = 5;
    let ok = 0;
    const v = problem(60, 5, 101);
    for (let i = 0; i < 60; i++) {
      const row = Array.from(here[0].logits.subarray(i * K, (i + 1) * K));
      if (row.indexOf(Math.max(...row)) === v.y[i]) ok++;
    }
    expect(ok).toBeGreaterThan(50);
  });

  it('a job that fails rejects the run and the threads end', async () => {
    const bad: FoldJob = { train: { X: { rows: 1, dim: 2, indptr: Int32Array.from([0, 1]), indices: Int32Array.from([5]), values: Float32Array.from([1]) }, y: Int32Array.from([0]) }, classes: 2, predict: { rows: 0, dim: 2, indptr: Int32Array.from([0]), indices: new Int32Array(0), values: new Float32Array(0) }, seed: 1 };
    await expect(foldThreads(2)([bad], TRAINING_DEFAULTS)).rejects.toThrow();
  });

  it('a process running the sources starts its threads from them (the TypeScript loader in each thread), or from dist/ (startThreadsFromCompiled, as the tests do): the same answers', async () => {
    const jobs: FoldJob[] = [1, 2].map((s) => ({ train: problem(200, 4, s), classes: 4, predict: problem(40, 4, 50 + s).X, epochs: 3, seed: 2000 + s }));
    const o = { ...TRAINING_DEFAULTS, maxEpochs: 3 };
    const here = await runFoldsHere(jobs, o);
    const base = new URL('./fold-threads.ts', import.meta.url).href;
    const was = startThreadsFromCompiled(false);
    try {
      for (const compiled of [false, true]) {
        startThreadsFromCompiled(compiled);
        const twin = compiledTwin(base);
        if (compiled) {
          expect(fileURLToPath(twin!)).toMatch(/\/dist\/adapters\/fold-threads\.js$/);
          expect(existsSync(fileURLToPath(twin!))).toBe(true);
        } else expect(twin).toBeUndefined();
        const threaded = await foldThreads(2)(jobs, o);
        threaded.forEach((r, i) => expect(Array.from(r.logits)).toEqual(Array.from(here[i].logits)));
      }
      // only a file under src/ has a twin
      expect(compiledTwin(new URL('../../test/helpers/sample.ts', import.meta.url).href)).toBeUndefined();
    } finally {
      startThreadsFromCompiled(was);
    }
  });
});
