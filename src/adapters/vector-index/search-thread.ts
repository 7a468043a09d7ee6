import type { Worker } from 'node:worker_threads';
import { IntentOpsError } from '../../core/errors.js';
import type { BackgroundSearch, Neighbour } from '../../ports/vector-index.js';
import { startModuleWorker, WorkerCalls } from '../module-worker.js';

/**
 * Nearest-neighbour searches on a thread of their own, over a copy of the index restored from
 * its bytes (`VectorIndex.toBytes()` or a bundle's index file). A served message that is not
 * answered at once needs its nearest labelled examples (for the LLM prompt and the reviewer):
 * with an HNSW index over 10k examples that search costs 0.1–0.2 ms of CPU with cold caches,
 * the largest single cost of such a request on the event loop. Here the event loop only posts
 * the query; the answers are the index's own.
 *
 * The thread does not keep the process alive. A query the thread could not answer (it failed or
 * was closed) is rejected with 'unavailable': the caller decides (the model falls back to
 * searching on its own thread).
 *
 * @example
 *   const bg = await startSearchThread('hnsw', bundle.indexBytes);
 *   const nearest = await bg.search(embedding.dense, 3);
 */
export async function startSearchThread(kind: string, bytes: Uint8Array): Promise<BackgroundSearch> {
  const what = `${kind} search thread`;
  let worker: Worker;
  try {
    worker = await startModuleWorker(import.meta.url, 'search-thread-worker', { kind, bytes }, what);
  } catch (e) {
    // a thread that crashed already says so; an index that would not open is told the same way
    const m = (e as Error).message;
    throw new IntentOpsError('unavailable', m.startsWith(`the ${what} failed to start`) ? m : `the ${what} failed to start: ${m}`, { where: 'vector index' });
  }
  const calls = new WorkerCalls(worker, { name: what, holdWhileBusy: false, where: 'vector index' });
  return { search: (q, k) => calls.call<Neighbour[]>({ q: ownBuffer(q), k }), close: () => calls.terminate() };
}

/**
 * The query in an ArrayBuffer of its own size. postMessage copies a typed array's whole
 * ArrayBuffer, not the view: an embedding that is a view into a larger buffer (the hashed
 * embedder's 1 KiB vectors live in 64 KiB slabs) would send, and make the thread allocate, 64×
 * the bytes the query needs.
 */
export function ownBuffer(q: Float32Array): Float32Array {
  return q.byteOffset === 0 && q.byteLength === q.buffer.byteLength ? q : q.slice();
}
