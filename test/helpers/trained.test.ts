import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readBundle } from '../../src/adapters/bundle/index.js';
import { trainModel } from '../../src/app/container/index.js';
import { SAMPLE_TRAIN, TRAIN_CACHE_ENV, tempDir } from './sample.js';
import { trainBundle } from './trained.js';

describe('trainBundle: the bundles the test files share', () => {
  it('gives a copy of what trainModel trains for the same request, trained once per run', async () => {
    const cache = process.env[TRAIN_CACHE_ENV];
    expect(cache, 'vitest global setup names the cache').toBeTruthy();
    const work = tempDir();
    const req = { data: SAMPLE_TRAIN, embedder: 'hashed', seed: 11, name: 'cached' } as const;
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
    // another seed is another bundle; a bundle without a name is named after its directory
    const other = await trainBundle({ data: SAMPLE_TRAIN, embedder: 'hashed', seed: 11, out: join(work, 'c', 'unnamed') });
    expect(readBundle(other.dir).manifest.name).toBe('unnamed');
    expect(readdirSync(cache!).filter((n) => !n.startsWith('.')).length).toBe(entries + 1);
  });
});
