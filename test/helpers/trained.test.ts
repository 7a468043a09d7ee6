import { copyFileSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readBundle } from '../../src/adapters/bundle/index.js';
import { trainModel } from '../../src/app/container/index.js';
import { loadExamples } from '../../src/app/services/dataset.js';
import { SAMPLE_TRAIN, TRAIN_CACHE_ENV, tempDir } from './sample.js';
import { trainBundle } from './trained.js';

describe('trainBundle: the bundles the test files share', () => {
  it('gives a copy of what trainModel trains for the same request, trained once per run', async () => {
    const cache = process.env[TRAIN_CACHE_ENV];
    expect(cache, 'vitest global setup names the cache').toBeTruthy();
    const work = tempDir();
    // 30 examples per intent of the sample data: what is under test is the sharing, not the model,
    // and this trains in a fraction of the time the whole file takes (three trainings here)
    const data = join(work, 'small.jsonl');
    const perLabel = new Map<string, number>();
    const small = (await loadExamples(SAMPLE_TRAIN)).examples.filter((e) => {
      const n = perLabel.get(e.label) ?? 0;
      perLabel.set(e.label, n + 1);
      return n < 30;
    });
    writeFileSync(data, small.map((e) => JSON.stringify({ text: e.text, label: e.label })).join('\n') + '\n');
    const req = { data, embedder: 'hashed', seed: 11, name: 'cached' } as const;
    // the run's shared cache: .ci/run keeps one across its Node lines, so on Node 24 and 22 the
    // bundle may come from the Node 20 run, and the comparison with this line's own training below
    // checks that sharing it across lines gives the same weights
    const a = await trainBundle({ ...req, out: join(work, 'a', 'm') });
    const entries = readdirSync(cache!).filter((n) => !n.startsWith('.')).length;
    const b = await trainBundle({ ...req, out: join(work, 'b', 'm') });
    expect(readdirSync(cache!).filter((n) => !n.startsWith('.')).length, 'the second request reused the first').toBe(entries);
    const fresh = await trainModel({ ...req, out: join(work, 'fresh', 'm') });
    for (const r of [a, b]) {
      expect(existsSync(join(r.dir, 'manifest.json'))).toBe(true);
      const m = readBundle(r.dir).manifest;
      expect(m.name).toBe('cached');
      expect(m.classifier.weights.sha256).toBe(fresh.manifest.classifier.weights.sha256);
      expect(r.manifest.classifier.weights.sha256).toBe(fresh.manifest.classifier.weights.sha256);
    }
    expect([a.dir, b.dir]).toEqual([join(work, 'a', 'm'), join(work, 'b', 'm')]);
    // in a cache of its own (the shared one may hold these from an earlier run): the same data
    // under another path is the same request; so is another name (a bundle without one is named
    // after its directory), written into the copy's manifest as training writes it; another seed
    // is another bundle
    const own = tempDir();
    process.env[TRAIN_CACHE_ENV] = own;
    const entriesOf = () => readdirSync(own).filter((n) => !n.startsWith('.'));
    try {
      const first = await trainBundle({ ...req, out: join(work, 'd', 'm') });
      expect(entriesOf()).toHaveLength(1);
      const moved = join(tempDir(), 'small.jsonl');
      copyFileSync(data, moved);
      const again = await trainBundle({ ...req, data: moved, out: join(work, 'e', 'm') });
      const unnamed = await trainBundle({ data, embedder: 'hashed', seed: 11, out: join(work, 'c', 'unnamed') });
      expect(entriesOf()).toHaveLength(1);
      expect(again.manifest.classifier.weights.sha256).toBe(first.manifest.classifier.weights.sha256);
      expect(unnamed.manifest.classifier.weights.sha256).toBe(first.manifest.classifier.weights.sha256);
      expect(readBundle(unnamed.dir).manifest.name).toBe('unnamed');
      expect(unnamed.manifest.name).toBe('unnamed');
      expect(readBundle(first.dir).manifest.name).toBe('cached');
      // the manifest training that request writes, in the same layout (the clock's fields aside)
      const direct = await trainModel({ data, embedder: 'hashed', seed: 11, out: join(work, 'f', 'unnamed') });
      const manifest = (dir: string) => {
        const text = readFileSync(join(dir, 'manifest.json'), 'utf8');
        const m = JSON.parse(text);
        expect(text).toBe(JSON.stringify(m, null, 2) + '\n');
        delete m.createdAt;
        delete m.metrics.trainSeconds;
        delete m.training.durationMs;
        return m;
      };
      expect(manifest(unnamed.dir)).toEqual(manifest(direct.dir));
      const other = await trainBundle({ data, embedder: 'hashed', seed: 12, out: join(work, 'g', 'm') });
      expect(other.manifest.classifier.weights.sha256).not.toBe(first.manifest.classifier.weights.sha256);
      expect(entriesOf()).toHaveLength(2);
    } finally {
      process.env[TRAIN_CACHE_ENV] = cache;
    }
  });
});
