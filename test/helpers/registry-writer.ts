/**
 * Test helper run as a child process: registers the bundle at argv[4] as the next version of
 * "tickets" and points the "champion" alias at it, freezing at step argv[5] so the test can
 * SIGKILL it there. Steps: files-copied (artifact files written, not yet renamed into place),
 * artifact-stored (artifact complete, no version yet), add-version (version row inserted, not
 * committed), move-alias (alias and audit row written, not committed), never.
 */
import { LocalArtifactStore } from '../../src/adapters/artifacts/index.js';
import { openRegistryStore } from '../../src/adapters/registry/index.js';
import { modelBundles } from '../../src/adapters/bundle/index.js';
import { registerBundle, setAlias } from '../../src/app/services/registry.js';

const [registryUri, artifactsRoot, bundleDir, stopAt] = process.argv.slice(2);

function maybeStop(step: string): void {
  if (step !== stopAt) return;
  process.stdout.write(`AT ${step}\n`);
  // block without returning to the event loop: the parent kills us here
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}

const store = await openRegistryStore(registryUri, { beforeCommit: maybeStop });
const artifacts = new LocalArtifactStore(artifactsRoot, { onStep: maybeStop });
const reg = { store, artifacts, bundles: modelBundles };
const v = await registerBundle(reg, bundleDir, 'tickets', { who: 'writer', onStep: maybeStop });
await setAlias(reg, 'tickets', 'champion', v.version, { who: 'writer', why: 'crash test' });
await store.close();
process.stdout.write('DONE\n');
