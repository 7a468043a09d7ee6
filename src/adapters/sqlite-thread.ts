import type { IntentOpsError } from '../core/errors.js';
import { startModuleWorker, WorkerCalls } from './module-worker.js';

/*
 * A SQLite store on a thread of its own. The serving path writes on every request (a review item
 * per unsure message, a prediction-log batch every 100 ms); a synchronous SQLite write held the
 * event loop for 0.1 ms to several ms (more while another process held the file's write lock),
 * and every request waiting behind it paid for it. Here the caller only posts the call; the
 * worker (sqlite-thread-worker.ts) owns the connection and answers calls in order, so a read
 * sees every earlier write. Errors keep their code, message, where and hint.
 */

/** The stores that can run on a thread, by the name the worker opens them under. */
export type ThreadedStoreKind = 'predictions' | 'review';

/** Calls into the store owned by the thread. */
export interface StoreThread {
  /** Runs `op(...args)` on the thread's store; rejects with `closed()` once close() was called. */
  call<T>(op: string, ...args: unknown[]): Promise<T>;
  /** Closes the store on its thread, then ends the thread. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts a thread that opens the `kind` store at `path` (a file; `:memory:` would be private to
 * the thread). Rejects with the store's own open error (corrupt file, newer schema, …).
 * `closed` makes the error for calls after close().
 */
export async function openStoreThread(kind: ThreadedStoreKind, path: string, closed: () => IntentOpsError): Promise<StoreThread> {
  const worker = await startModuleWorker(import.meta.url, 'sqlite-thread-worker', { kind, path }, `${kind} store thread`);
  return new Thread(new WorkerCalls(worker, { name: `${kind} store thread`, holdWhileBusy: true }), closed);
}

class Thread implements StoreThread {
  private closing: Promise<void> | undefined;

  constructor(
    private readonly calls: WorkerCalls,
    private readonly closedError: () => IntentOpsError,
  ) {}

  call<T>(op: string, ...args: unknown[]): Promise<T> {
    if (this.closing) return Promise.reject(this.closedError());
    return this.calls.call<T>({ op, args });
  }

  close(): Promise<void> {
    // calls posted before close() are answered first: the thread handles messages in order
    this.closing ??= this.calls
      .call<void>({ op: 'close', args: [] })
      .finally(() => this.calls.terminate())
      .then(() => undefined);
    return this.closing;
  }
}
