import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../../adapters/artifacts/index.js';
import { modelBundles, readBundle } from '../../adapters/bundle/index.js';
import { openRegistryStore } from '../../adapters/registry/index.js';
import { freshPostgres } from '../../../test/helpers/registry-postgres.js';
import { freshSqlite } from '../../../test/helpers/registry-sqlite.js';
import { killScriptAt } from '../../../test/helpers/node-script.js';
import { SAMPLE_TRAIN, tempDir } from '../../../test/helpers/sample.js';
import { collectGarbage, registerBundle, resolveModelUri, setAlias, showModel, type Registry } from './registry.js';
import { trainBundle } from '../../../test/helpers/trained.js';

/** Starts the registry writer child and SIGKILLs it once it reports reaching `step`. */
function killWriterAt(uri: string, artifacts: string, bundle: string, step: string): Promise<string> {
  return killScriptAt('test/helpers/registry-writer.ts', [uri, artifacts, bundle, step], `AT ${step}`);
}

/** Every version points at an artifact that exists, verifies and loads as a bundle. */
async function expectConsistent(reg: Registry): Promise<void> {
  for (const m of await reg.store.listModels()) {
    const detail = await showModel(reg, m.name);
    for (const v of detail.versions) {
      const { path } = await resolveModelUri(reg, `${m.name}/${v.version}`);
      expect(readBundle(path).manifest.labels.length).toBeGreaterThan(1);
    }
    for (const alias of Object.keys(detail.aliases)) await resolveModelUri(reg, `${m.name}@${alias}`);
    const log = (await reg.store.history(m.name)).reverse();
    for (const alias of Object.keys(detail.aliases)) expect(log.filter((e) => e.alias === alias).at(-1)!.to).toBe(detail.aliases[alias]);
  }
}

// what a kill at each step must leave: versions, where champion points, unreferenced artifacts
const CASES = [
  { step: 'files-copied', versions: 1, champion: 1, orphans: 0 },
  { step: 'artifact-stored', versions: 1, champion: 1, orphans: 1 },
  { step: 'add-version', versions: 1, champion: 1, orphans: 1 },
  { step: 'move-alias', versions: 2, champion: 1, orphans: 0 },
] as const;

const BACKENDS = [
  { name: 'sqlite', fresh: freshSqlite },
  { name: 'postgres', fresh: () => freshPostgres('crash') },
];

describe('a registry write killed mid-way leaves the registry consistent', () => {
  let work: string;
  let bundleA: string;
  let bundleB: string;
  beforeAll(async () => {
    work = tempDir('intentops-registry-crash-');
    bundleA = join(work, 'a');
    bundleB = join(work, 'b');
    await trainBundle({ data: SAMPLE_TRAIN, out: bundleA, embedder: 'hashed', seed: 1, name: 'a' });
    await trainBundle({ data: SAMPLE_TRAIN, out: bundleB, embedder: 'hashed', seed: 2, name: 'b' });
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  for (const backend of BACKENDS) {
    for (const c of CASES) {
      it(`${backend.name}: killed at "${c.step}"`, async () => {
        const db = await backend.fresh();
        const root = join(work, `artifacts-${backend.name}-${c.step}`);
        const open = async (): Promise<Registry> => ({ store: await openRegistryStore(db.uri), artifacts: new LocalArtifactStore(root), bundles: modelBundles });
        try {
          let reg = await open();
          const v1 = await registerBundle(reg, bundleA, 'tickets', { who: 'setup' });
          await setAlias(reg, 'tickets', 'champion', v1.version, { who: 'setup' });
          await reg.store.close();

          await killWriterAt(db.uri, root, bundleB, c.step);

          reg = await open();
          const model = await showModel(reg, 'tickets');
          expect(model.versions.length).toBe(c.versions);
          expect(model.aliases).toEqual({ champion: c.champion });
          expect((await reg.store.history('tickets')).length).toBe(1);
          await expectConsistent(reg);
          // orphans are harmless and collectable; referenced artifacts survive collection
          const gc = await collectGarbage(reg, { graceMs: 0, now: () => new Date(Date.now() + 1000) });
          expect(gc.removed.length).toBe(c.orphans);
          await expectConsistent(reg);
          // no lock or number was left behind: the next registration gets the next number
          const next = await registerBundle(reg, bundleB, 'tickets', { who: 'after' });
          expect(next.version).toBe(c.versions + 1);
          await setAlias(reg, 'tickets', 'champion', next.version, { who: 'after' });
          await expectConsistent(reg);
          expect(readdirSync(join(root, 'tmp'))).toEqual([]);
          await reg.store.close();
        } finally {
          await db.cleanup();
        }
      });
    }
  }

  it('an uninterrupted writer completes (the helper itself works)', async () => {
    const db = await freshSqlite();
    const root = join(work, 'artifacts-complete');
    await killWriterAt(db.uri, root, bundleB, 'never').catch(() => undefined);
    const reg = { store: await openRegistryStore(db.uri), artifacts: new LocalArtifactStore(root), bundles: modelBundles };
    expect((await resolveModelUri(reg, 'models:/tickets@champion')).version).toBe(1);
    await reg.store.close();
    await db.cleanup();
  });
});
