import type { Worker } from 'node:worker_threads';
import { IntentOpsError } from '../../core/errors.js';
import type { BackgroundSearch, Neighbour } from '../../ports/vector-index.js';
import { moduleWorker, workerReady } from '../module-worker.js';

type Reply = { id: number; ok: true; value: Neighbour[] } | { id: number; ok: false; error: string };

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
  const worker = moduleWorker(import.meta.url, 'search-thread-worker', { kind, bytes });
  const ready = await workerReady<string>(worker, (message) => message);
  if (!ready.ready) {
    await worker.terminate();
    throw new IntentOpsError('unavailable', `the ${kind} search thread failed to start: ${ready.error}`, { where: 'vector index' });
  }
  return new SearchThread(worker, kind);
}

class SearchThread implements BackgroundSearch {
  private next = 1;
  private readonly pending = new Map<number, { resolve: (v: Neighbour[]) => void; reject: (e: unknown) => void }>();
  private ended: string | undefined;

  constructor(
    private readonly worker: Worker,
    private readonly kind: string,
  ) {
    worker.on('message', (r: Reply) => {
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      if (r.ok) p.resolve(r.value);
      else p.reject(this.error(r.error));
    });
    worker.on('error', (e) => this.end(e.message));
    worker.on('exit', (code) => this.end(`exited (${code})`));
    worker.unref();
  }

  private error(why: string): IntentOpsError {
    return new IntentOpsError('unavailable', `${this.kind} search thread: ${why}`, { where: 'vector index' });
  }

  private end(why: string): void {
    this.ended ??= why;
    for (const p of this.pending.values()) p.reject(this.error(why));
    this.pending.clear();
  }

  search(query: Float32Array, k: number): Promise<Neighbour[]> {
    if (this.ended) return Promise.reject(this.error(this.ended));
    const id = this.next++;
    return new Promise<Neighbour[]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, q: query, k });
    });
  }

  async close(): Promise<void> {
    this.end('closed');
    await this.worker.terminate();
  }
}
