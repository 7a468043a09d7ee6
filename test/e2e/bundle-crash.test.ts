import { cpSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readBundle, writeBundle, type ManifestDraft } from '../../src/adapters/bundle/index.js';
import { trainBundle } from '../helpers/trained.js';
import { killScriptAt } from '../helpers/node-script.js';
import { SAMPLE_TRAIN, tempDir } from '../helpers/sample.js';

/** Starts the writer child and SIGKILLs it once it reports reaching `step`. */
function killWriterAt(src: string, dst: string, step: string): Promise<string> {
  return killScriptAt('test/helpers/bundle-writer.ts', [src, dst, step], `AT ${step}`);
}

describe('model bundle writes are atomic', () => {
  let work: string;
  let src: string;
  /** The bundle a test starts from: a copy of the one trained once below (name "old", seed 1). */
  const existing = (dst: string) => cpSync(src, dst, { recursive: true });
  beforeAll(async () => {
    work = tempDir();
    src = join(work, 'source');
    await trainBundle({ data: SAMPLE_TRAIN, out: src, embedder: 'hashed', seed: 1, name: 'old' });
  });

  for (const step of ['weights-written', 'files-written', 'old-moved-aside']) {
    it(`a writer killed at "${step}" leaves the previous bundle loadable`, async () => {
      const dst = join(work, `target-${step}`);
      existing(dst);
      const before = readBundle(dst);
      await killWriterAt(src, dst, step);
      const after = readBundle(dst);
      expect(after.manifest.name).toBe('old');
      expect(after.manifest.classifier.weights.sha256).toBe(before.manifest.classifier.weights.sha256);
      // the next write cleans up what the dead writer left and succeeds: writeBundle, what training
      // writes a bundle with, here with the source bundle renamed (training it again would only cost time)
      const b = readBundle(src);
      writeBundle(dst, { ...b.manifest, name: 'next' } as unknown as ManifestDraft, b);
      expect(readBundle(dst).manifest.name).toBe('next');
      expect(readdirSync(work).filter((n) => n.includes(`target-${step}`) && n.startsWith('.'))).toEqual([]);
    });
  }

  it('a complete write replaces the bundle', async () => {
    const dst = join(work, 'target-complete');
    existing(dst);
    await killWriterAt(src, dst, 'never').catch(() => undefined);
    expect(readBundle(dst).manifest.name).toBe('new');
  });

  it('loading checks checksums and schema version with a clear message', async () => {
    const dst = join(work, 'corrupt');
    existing(dst);
    const wfile = join(dst, 'weights.f32');
    writeFileSync(wfile, Buffer.alloc(16));
    expect(() => readBundle(dst)).toThrow(/checksum mismatch for weights\.f32/);
    const m = join(dst, 'manifest.json');
    writeFileSync(m, JSON.stringify({ schemaVersion: 99 }));
    expect(() => readBundle(dst)).toThrow(/schema version 99 is not supported/);
    writeFileSync(m, '{not json');
    expect(() => readBundle(dst)).toThrow(/not valid JSON/);
    expect(() => readBundle(join(work, 'missing'))).toThrow(/no model bundle at/);
    expect(existsSync(join(work, 'missing'))).toBe(false);
  });
});
