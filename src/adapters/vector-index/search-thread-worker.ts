import { parentPort, workerData } from 'node:worker_threads';
import type { VectorIndex } from '../../ports/vector-index.js';
import { getVectorIndexFactory } from './index.js';

/*
 * The thread of a search thread (see search-thread.ts): restores its own copy of the index from
 * the bundle's bytes and answers each query message with the index's own search.
 */

type Query = { id: number; q: Float32Array; k: number };

const port = parentPort!;
const { kind, bytes } = workerData as { kind: string; bytes: Uint8Array };
let index: VectorIndex;
try {
  index = getVectorIndexFactory(kind).fromBytes(bytes);
  port.postMessage({ ready: true });
} catch (e) {
  port.postMessage({ ready: false, error: (e as Error).message });
  process.exit(0);
}

port.on('message', (m: Query) => {
  try {
    port.postMessage({ id: m.id, ok: true, value: index.search(m.q, m.k) });
  } catch (e) {
    port.postMessage({ id: m.id, ok: false, error: (e as Error).message });
  }
});
