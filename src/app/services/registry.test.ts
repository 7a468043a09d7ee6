import { chmodSync, cpSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hashDirectory, LocalArtifactStore } from '../../adapters/artifacts/index.js';
import { modelBundles, readBundle } from '../../adapters/bundle/index.js';
import { openRegistryStore } from '../../adapters/registry/index.js';
import { freshSqlite } from '../../../test/helpers/registry-sqlite.js';
import { rejection, SAMPLE_TRAIN, tempDir } from '../../../test/helpers/sample.js';
import { collectGarbage, deleteAlias, findVersion, history, listModels, registerBundle, resolveModelUri, setAlias, showModel, type Registry } from './registry.js';
import { trainBundle } from '../../../test/helpers/trained.js';

describe('registry service', () => {
  let work: string;
  let bundleA: string;
  let bundleB: string;
  let reg: Registry;
  let artifacts: LocalArtifactStore;
  let cleanup: () => Promise<void>;
  let t = Date.parse('2025-06-01T08:00:00.000Z');
  const now = () => new Date(t);

  beforeAll(async () => {
    work = tempDir('intentops-registry-');
    bundleA = join(work, 'a');
    bundleB = join(work, 'b');
    await trainBundle({ data: SAMPLE_TRAIN, out: bundleA, embedder: 'hashed', seed: 1, name: 'a' });
    await trainBundle({ data: SAMPLE_TRAIN, out: bundleB, embedder: 'hashed', seed: 2, name: 'b' });
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  let n = 0;
  beforeEach(async () => {
    const db = await freshSqlite();
    cleanup = db.cleanup;
    artifacts = new LocalArtifactStore(join(work, `artifacts-${n++}`));
    reg = { store: await openRegistryStore(db.uri, { now }), artifacts, bundles: modelBundles };
  });
  afterEach(async () => {
    await reg.store.close();
    await cleanup();
  });

  it('registers a verified bundle as version 1 with its content hash and a metrics snapshot', async () => {
    const v = await registerBundle(reg, bundleA, 'tickets', { runId: 'run-1', description: 'baseline', who: 'ana' });
    const manifest = readBundle(bundleA).manifest;
    expect(v).toMatchObject({ name: 'tickets', version: 1, artifact: hashDirectory(bundleA).hash, runId: 'run-1', description: 'baseline', source: bundleA, createdBy: 'ana', createdAt: '2025-06-01T08:00:00.000Z' });
    expect(v.metrics.valAccuracy).toBe(manifest.metrics.valAccuracy);
    expect(await artifacts.has(v.artifact)).toBe(true);
  });

  it('re-registering the same content makes a new version pointing at the same, once-stored artifact', async () => {
    const v1 = await registerBundle(reg, bundleA, 'tickets');
    const v2 = await registerBundle(reg, bundleA, 'tickets', { description: 'same bytes, new registration' });
    const v3 = await registerBundle(reg, bundleB, 'tickets');
    expect([v1.version, v2.version, v3.version]).toEqual([1, 2, 3]);
    expect(v2.artifact).toBe(v1.artifact);
    expect(v3.artifact).not.toBe(v1.artifact);
    expect((await artifacts.list()).length).toBe(2);
  });

  it('refuses a corrupt bundle or a bad name before storing anything', async () => {
    const bad = join(work, `bad-${n}`);
    cpSync(bundleA, bad, { recursive: true });
    const w = join(bad, 'weights.f32');
    const bytes = readFileSync(w);
    bytes[7] ^= 0xff;
    writeFileSync(w, bytes);
    expect((await rejection(registerBundle(reg, bad, 'tickets'))).code).toBe('corrupt');
    expect((await rejection(registerBundle(reg, join(work, 'nothing-here'), 'tickets'))).code).toBe('not_found');
    expect((await rejection(registerBundle(reg, bundleA, 'bad/name'))).code).toBe('invalid_input');
    expect(await listModels(reg)).toEqual([]);
    expect(await artifacts.list()).toEqual([]);
  });

  it('resolves every URI form to a verified bundle path ready to load', async () => {
    const v1 = await registerBundle(reg, bundleA, 'tickets');
    const v2 = await registerBundle(reg, bundleB, 'tickets');
    await setAlias(reg, 'tickets', 'champion', 1, { who: 'ana' });
    await setAlias(reg, 'tickets', 'challenger', 2, { who: 'ana' });
    const cases: [string, number][] = [['models:/tickets@champion', 1], ['tickets@challenger', 2], ['models:/tickets/1', 1], ['tickets/2', 2], ['models:/tickets/latest', 2]];
    for (const [uri, version] of cases) {
      const r = await resolveModelUri(reg, uri);
      expect([r.name, r.version, r.uri], uri).toEqual(['tickets', version, `models:/tickets/${version}`]);
      expect(readBundle(r.path).manifest.name).toBe(version === 1 ? 'a' : 'b');
      expect(r.record).toEqual(version === 1 ? v1 : v2);
    }
    const copy = await resolveModelUri(reg, 'tickets@champion', { destDir: join(work, `copy-${n}`) });
    expect(copy.path).toBe(join(work, `copy-${n}`));
    expect(readBundle(copy.path).manifest.name).toBe('a');
  });

  it('says which part of a model URI is missing', async () => {
    await registerBundle(reg, bundleA, 'tickets');
    await setAlias(reg, 'tickets', 'champion', 1, { who: 'ana' });
    const noModel = await rejection(resolveModelUri(reg, 'other@champion'));
    expect([noModel.code, noModel.message]).toEqual(['not_found', 'no registered model named "other"']);
    const noAlias = await rejection(resolveModelUri(reg, 'tickets@challenger'));
    expect(noAlias.message).toMatch(/no alias "challenger" \(aliases: champion → 1\)/);
    expect(noAlias.hint).toMatch(/alias set tickets challenger/);
    expect((await rejection(findVersion(reg, 'tickets/9'))).message).toMatch(/no version 9 \(latest is 1\)/);
    expect((await rejection(resolveModelUri(reg, 'tickets'))).code).toBe('invalid_input');
  });

  it('refuses to hand out a stored artifact that was modified on disk', async () => {
    const v = await registerBundle(reg, bundleA, 'tickets');
    const stored = join(artifacts.root, 'sha256', v.artifact, 'manifest.json');
    chmodSync(stored, 0o644);
    writeFileSync(stored, readFileSync(stored, 'utf8').replace('"minConfidence": ', '"minConfidence": 0.0'));
    const err = await rejection(resolveModelUri(reg, 'tickets/1'));
    expect(err.code).toBe('corrupt');
    expect(err.message).toMatch(/manifest\.json was modified/);
  });

  it('moves aliases and writes each move to the audit log with who, when, from, to and why', async () => {
    await registerBundle(reg, bundleA, 'tickets');
    await registerBundle(reg, bundleB, 'tickets');
    await setAlias(reg, 'tickets', 'champion', 1, { who: 'ana', why: 'first release' });
    t += 3_600_000;
    await setAlias(reg, 'tickets', 'challenger', 2, { who: 'retrain-job' });
    t += 3_600_000;
    const promoted = await setAlias(reg, 'tickets', 'champion', 2, { who: 'bo', why: 'gate passed: +2.1 pt accuracy' });
    expect(promoted).toMatchObject({ alias: 'champion', from: 1, to: 2, who: 'bo', why: 'gate passed: +2.1 pt accuracy' });
    const removed = await deleteAlias(reg, 'tickets', 'challenger', { who: 'bo', why: 'promoted' });
    expect(removed).toMatchObject({ from: 2, to: null });
    expect((await resolveModelUri(reg, 'models:/tickets@champion')).version).toBe(2);
    const log = await history(reg, 'tickets');
    expect(log.map((m) => [m.alias, m.from, m.to, m.who, m.why, m.at])).toEqual([
      ['challenger', 2, null, 'bo', 'promoted', '2025-06-01T10:00:00.000Z'],
      ['champion', 1, 2, 'bo', 'gate passed: +2.1 pt accuracy', '2025-06-01T10:00:00.000Z'],
      ['challenger', null, 2, 'retrain-job', null, '2025-06-01T09:00:00.000Z'],
      ['champion', null, 1, 'ana', 'first release', '2025-06-01T08:00:00.000Z'],
    ]);
    expect((await history(reg, 'tickets', { alias: 'champion' })).length).toBe(2);
    expect((await rejection(setAlias(reg, 'tickets', 'champion', 3, { who: 'bo' }))).code).toBe('not_found');
    expect((await rejection(setAlias(reg, 'tickets', 'champion', 1, { who: '' }))).code).toBe('invalid_input');
    expect((await rejection(deleteAlias(reg, 'tickets', 'challenger', { who: 'bo' }))).code).toBe('not_found');
    expect((await history(reg, 'tickets')).length).toBe(4);
  });

  it('lists and shows models; unknown models are not_found', async () => {
    await registerBundle(reg, bundleA, 'tickets');
    await registerBundle(reg, bundleB, 'tickets');
    await registerBundle(reg, bundleA, 'billing-de');
    await setAlias(reg, 'tickets', 'champion', 2, { who: 'ana' });
    expect((await listModels(reg)).map((m) => [m.name, m.latestVersion, m.aliases])).toEqual([
      ['billing-de', 1, {}],
      ['tickets', 2, { champion: 2 }],
    ]);
    const shown = await showModel(reg, 'tickets');
    expect(shown.versions.map((v) => v.version)).toEqual([1, 2]);
    expect(shown.aliases).toEqual({ champion: 2 });
    expect((await rejection(showModel(reg, 'nope'))).code).toBe('not_found');
    expect((await rejection(history(reg, 'nope'))).code).toBe('not_found');
  });

  it('collects unreferenced artifacts older than the grace period, and nothing else', async () => {
    const v = await registerBundle(reg, bundleA, 'tickets');
    const orphan = await artifacts.put(bundleB);
    expect(await collectGarbage(reg)).toEqual({ removed: [], kept: 2 }); // the orphan is fresh: maybe a registration in flight
    const old = new Date(Date.now() - 2 * 3_600_000);
    utimesSync(join(artifacts.root, 'sha256', orphan), old, old);
    utimesSync(join(artifacts.root, 'sha256', v.artifact), old, old);
    expect(await collectGarbage(reg)).toEqual({ removed: [orphan], kept: 1 });
    expect(readdirSync(join(artifacts.root, 'sha256'))).toEqual([v.artifact]);
    expect(readBundle((await resolveModelUri(reg, 'tickets/1')).path).manifest.name).toBe('a');
  });
});
