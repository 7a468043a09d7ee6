/**
 * Test helper run as a child process: adds `count` versions of model `name` to the registry at
 * `uri`, printing each number it got. Several run at once to prove numbering is atomic across
 * processes, not just across promises.
 */
import { openRegistryStore } from '../../src/adapters/registry/index.js';

const [uri, name, count, artifact] = process.argv.slice(2);
const store = await openRegistryStore(uri);
try {
  for (let i = 0; i < Number(count); i++) {
    const v = await store.addVersion({ name, artifact, description: `pid ${process.pid} #${i}` });
    process.stdout.write(`${v.version}\n`);
  }
} finally {
  await store.close();
}
