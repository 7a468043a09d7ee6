/**
 * Test helper run as a child process: rewrites the bundle at argv[3] with the contents of the
 * bundle at argv[2] renamed to "new", and freezes (so the test can SIGKILL it) at step argv[4].
 */
import { readBundle, writeBundle, type ManifestDraft } from '../../src/adapters/bundle/index.js';

const [src, dst, stopAt] = process.argv.slice(2);
const b = readBundle(src);
const draft = { ...b.manifest, name: 'new' } as unknown as ManifestDraft;
writeBundle(dst, draft, b, (step) => {
  if (step !== stopAt) return;
  process.stdout.write(`AT ${step}\n`);
  // block forever without returning to the event loop: the parent kills us here
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
});
process.stdout.write('DONE\n');
