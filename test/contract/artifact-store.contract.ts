import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IntentOpsError } from '../../src/core/errors.js';
import type { ArtifactPruner, ArtifactStore } from '../../src/ports/artifact-store.js';

/**
 * The behaviour every ArtifactStore adapter must share (src/ports/artifact-store.ts): content
 * addressing by tree hash (the same files, the same name, whatever directory they came from),
 * idempotent puts, verified materialisation (into the store's copy or a destDir, replaced
 * atomically), not_found for an unknown hash; and for a pruner, list and a guarded remove.
 */
export interface ArtifactStoreHarness {
  /** A new, empty store. */
  fresh(): Promise<ArtifactStore & Partial<ArtifactPruner>>;
}

function tree(root: string, files: Record<string, string>): string {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  return root;
}

function read(dir: string, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) Object.assign(out, read(join(dir, e.name), rel));
    else out[rel] = readFileSync(join(dir, e.name), 'utf8');
  }
  return out;
}

const FILES = { 'manifest.json': '{"name":"m"}', 'weights.f32': 'WEIGHTS', 'index/hnsw.bin': 'INDEX' };

export function runArtifactStoreContract(name: string, harness: ArtifactStoreHarness): void {
  describe(`ArtifactStore contract: ${name}`, () => {
    const work = mkdtempSync(join(tmpdir(), 'intentops-artifact-contract-'));
    let n = 0;
    const dir = (files: Record<string, string>) => tree(join(work, `src-${n++}`), files);
    afterAll(() => rmSync(work, { recursive: true, force: true }));

    it('names an artifact by its content: 64 hex, the same files give the same name, other files another', async () => {
      const s = await harness.fresh();
      const a = await s.put(dir(FILES));
      expect(a).toMatch(/^[0-9a-f]{64}$/);
      expect(await s.put(dir(FILES))).toBe(a);
      expect(await s.put(dir({ ...FILES, 'weights.f32': 'OTHER' }))).not.toBe(a);
      expect(await s.put(dir({ ...FILES, 'extra.txt': '' }))).not.toBe(a);
    });

    it('has() knows what was put', async () => {
      const s = await harness.fresh();
      const a = await s.put(dir(FILES));
      expect(await s.has(a)).toBe(true);
      expect(await s.has('0'.repeat(64))).toBe(false);
    });

    it('materialises the same files, into its own copy or a destDir (replacing what was there)', async () => {
      const s = await harness.fresh();
      const a = await s.put(dir(FILES));
      expect(read(await s.materialise(a))).toEqual(FILES);
      const dest = tree(join(work, `dest-${n++}`), { 'stale.txt': 'old' });
      expect(await s.materialise(a, dest)).toBe(dest);
      expect(read(dest)).toEqual(FILES);
    });

    it('an unknown hash is not_found', async () => {
      const s = await harness.fresh();
      const e = await s.materialise('f'.repeat(64)).then(
        () => undefined,
        (x: unknown) => x,
      );
      expect(e).toBeInstanceOf(IntentOpsError);
      expect((e as IntentOpsError).code).toBe('not_found');
    });

    it('a stored artifact does not change when its source directory does', async () => {
      const s = await harness.fresh();
      const src = dir(FILES);
      const a = await s.put(src);
      writeFileSync(join(src, 'weights.f32'), 'CHANGED');
      expect(read(await s.materialise(a))).toEqual(FILES);
    });

    it('a pruner lists what is stored and removes it, but not what was stored after storedBefore', async (ctx) => {
      const s = await harness.fresh();
      if (!s.list || !s.remove) return ctx.skip();
      const a = await s.put(dir(FILES));
      const b = await s.put(dir({ 'x.txt': 'x' }));
      expect((await s.list()).map((x) => x.hash).sort()).toEqual([a, b].sort());
      const before = new Date(Date.now() - 60_000);
      expect(await s.remove(a, { storedBefore: before })).toBe(false);
      expect(await s.has(a)).toBe(true);
      expect(await s.remove(a)).toBe(true);
      expect(await s.has(a)).toBe(false);
      expect((await s.list()).map((x) => x.hash)).toEqual([b]);
    });
  });
}
