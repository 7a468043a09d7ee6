import { workerData } from 'node:worker_threads';
import { serveCalls } from '../module-worker.js';
import { getVectorIndexFactory } from './index.js';

/*
 * The thread of a search thread (see search-thread.ts): restores its own copy of the index from
 * the bundle's bytes and answers each query message with the index's own search.
 */

const { kind, bytes } = workerData as { kind: string; bytes: Uint8Array };

await serveCalls(
  () => getVectorIndexFactory(kind).fromBytes(bytes),
  (index, m: { id: number; q: Float32Array; k: number }) => index.search(m.q, m.k),
);
