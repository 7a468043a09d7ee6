import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBundle } from '../bundle/index.js';
import { trainBundle } from '../../../test/helpers/trained.js';
import { rejection, SAMPLE_TRAIN, tempDir } from '../../../test/helpers/sample.js';
import { hashDirectory, LocalArtifactStore, openArtifactStore, treeHash } from './index.js';

const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

function makeDir(root: string, files: Record<string, string>): string {
  mkdirSync(root, { recursive: true });
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, ...path.split('/').slice(0, -1)), { recursive: true });
    writeFileSync(join(root, ...path.split('/')), content);
  }
  return root;
}

const FILES = { 'manifest.json': '{"a":1}\n', 'weights.f32': 'WWWW', 'sub/dir/notes.txt': 'hello' };

describe('LocalArtifactStore', () => {
  const work = tempDir('intentops-artifacts-');
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  let n = 0;
  const fresh = () => new LocalArtifactStore(join(work, `store-${n++}`));
  const src = (files: Record<string, string> = FILES) => makeDir(join(work, `src-${n++}`), files);

  it('names content by the sha256 of its sorted (path, file sha256) listing', async () => {
    const expected = sha(
      Object.entries(FILES)
        .map(([p, c]) => [p, sha(c)])
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([p, h]) => `${h}  ${p}\n`)
        .join(''),
    );
    const store = fresh();
    expect(await store.put(src())).toBe(expected);
    expect(hashDirectory(src()).hash).toBe(expected);
    expect(treeHash(hashDirectory(src()).entries.reverse())).toBe(expected);
  });

  it('gives the same bundle the same hash wherever it lives, and any change a new one', async () => {
    const store = fresh();
    const a = src();
    const b = src();
    utimesSync(join(b, 'weights.f32'), new Date(0), new Date(0));
    const h = await store.put(a);
    expect(await store.put(b)).toBe(h);
    expect(await store.put(src({ ...FILES, 'weights.f32': 'WWWX' }))).not.toBe(h);
    expect(await store.put(src({ ...FILES, 'renamed.txt': 'hello' }))).not.toBe(h);
    expect((await store.list()).length).toBe(3);
  });

  it('stores files read-only at <root>/sha256/<hash>/…, atomically, leaving no temp dirs', async () => {
    const store = fresh();
    const h = await store.put(src());
    const dir = join(store.root, 'sha256', h);
    expect(readFileSync(join(dir, 'sub', 'dir', 'notes.txt'), 'utf8')).toBe('hello');
    expect(statSync(join(dir, 'weights.f32')).mode & 0o222).toBe(0);
    expect(readdirSync(join(store.root, 'tmp'))).toEqual([]);
    expect(await store.has(h)).toBe(true);
    expect(await store.has('0'.repeat(64))).toBe(false);
  });

  it('materialises in place (verified) or into a destination directory, replacing what was there', async () => {
    const store = fresh();
    const h = await store.put(src());
    expect(await store.materialise(h)).toBe(join(store.root, 'sha256', h));
    const dest = makeDir(join(work, `dest-${n++}`), { 'old.txt': 'old' });
    expect(await store.materialise(h, dest)).toBe(dest);
    expect(hashDirectory(dest).hash).toBe(h);
    expect(existsSync(join(dest, 'old.txt'))).toBe(false);
  });

  it('detects a modified, missing or added file on materialise, naming it, and leaves the destination alone', async () => {
    for (const [tamper, message] of [
      [(d: string) => writeFileSync(join(d, 'weights.f32'), 'EVIL'), /weights\.f32 was modified/],
      [(d: string) => rmSync(join(d, 'sub', 'dir', 'notes.txt')), /sub\/dir\/notes\.txt is missing/],
      [(d: string) => writeFileSync(join(d, 'extra.bin'), 'x'), /extra\.bin was added/],
    ] as const) {
      const store = fresh();
      const h = await store.put(src());
      const dir = join(store.root, 'sha256', h);
      chmodSync(join(dir, 'weights.f32'), 0o644);
      tamper(dir);
      const err = await rejection(store.materialise(h));
      expect(err.code).toBe('corrupt');
      expect(err.message).toMatch(message);
      const dest = makeDir(join(work, `dest-${n++}`), { 'keep.txt': 'previous' });
      expect((await rejection(store.materialise(h, dest))).code).toBe('corrupt');
      expect(readdirSync(dest)).toEqual(['keep.txt']);
    }
  });

  it('fails clearly on unknown or malformed hashes and unusable sources', async () => {
    const store = fresh();
    expect((await rejection(store.materialise('0'.repeat(64)))).code).toBe('not_found');
    expect((await rejection(store.materialise('../etc'))).code).toBe('invalid_input');
    expect((await rejection(store.has('ABC'))).code).toBe('invalid_input');
    expect((await rejection(store.put(join(work, 'missing')))).code).toBe('not_found');
    expect((await rejection(store.put(makeDir(join(work, `empty-${n++}`), {})))).code).toBe('invalid_input');
    const linked = src();
    symlinkSync('/etc/hostname', join(linked, 'link'));
    expect((await rejection(store.put(linked))).message).toMatch(/not a regular file/);
  });

  it('removes temp dirs left by dead writers on the next put', async () => {
    const store = fresh();
    await store.put(src());
    const stale = join(store.root, 'tmp', '2147483646-deadbeef');
    makeDir(stale, { 'half.bin': 'x' });
    await store.put(src({ other: '1' }));
    expect(existsSync(stale)).toBe(false);
  });

  it('lists and removes artifacts; a removal "stored before" spares one just put again', async () => {
    const store = fresh();
    const h = await store.put(src());
    const old = new Date(Date.now() - 3_600_000);
    utimesSync(join(store.root, 'sha256', h), old, old);
    expect((await store.list()).map((a) => [a.hash, a.storedAt.getTime()])).toEqual([[h, old.getTime()]]);
    await store.put(src()); // re-put refreshes storedAt
    expect(await store.remove(h, { storedBefore: new Date(Date.now() - 60_000) })).toBe(false);
    expect(await store.has(h)).toBe(true);
    expect(await store.remove(h)).toBe(true);
    expect(await store.has(h)).toBe(false);
    expect(await store.remove(h)).toBe(false);
    expect(await store.list()).toEqual([]);
  });
});

describe('artifact store on a real model bundle', () => {
  let work: string;
  let bundle: string;
  beforeAll(async () => {
    work = tempDir('intentops-artifacts-bundle-');
    bundle = join(work, 'bundle');
    await trainBundle({ data: SAMPLE_TRAIN, out: bundle, embedder: 'hashed', seed: 1 });
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('round-trips a bundle that still loads, and catches a tampered weights file both ways', async () => {
    const store = new LocalArtifactStore(join(work, 'store'));
    const h = await store.put(bundle);
    expect(await store.put(bundle)).toBe(h);
    const copy = await store.materialise(h, join(work, 'copy'));
    expect(readBundle(copy).manifest.classifier.weights.sha256).toBe(readBundle(bundle).manifest.classifier.weights.sha256);
    const stored = join(store.root, 'sha256', h);
    const w = join(stored, 'weights.f32');
    chmodSync(w, 0o644);
    const bytes = readFileSync(w);
    bytes[100] ^= 1;
    writeFileSync(w, bytes);
    expect((await rejection(store.materialise(h))).message).toMatch(/weights\.f32 was modified/);
    // the bundle's own checksums agree
    expect(() => readBundle(stored)).toThrow(/checksum mismatch for weights\.f32/);
  });
});

describe('openArtifactStore', () => {
  it('opens file: URIs, relative or file:///absolute', () => {
    const dir = tempDir();
    expect((openArtifactStore(`file://${dir}/a`) as LocalArtifactStore).root).toBe(join(dir, 'a'));
    expect((openArtifactStore('file:./some/where') as LocalArtifactStore).root).toBe(join(process.cwd(), 'some', 'where'));
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails unknown schemes with invalid_config listing the valid ones', () => {
    for (const uri of ['s3://bucket/x', './artifacts']) {
      expect(() => openArtifactStore(uri)).toThrow(/valid: file:/);
    }
    expect(() => openArtifactStore('file:')).toThrow(/names no directory/);
  });
});
