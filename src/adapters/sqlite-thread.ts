import type { Worker } from 'node:worker_threads';
import { IntentOpsError, type ErrorCode } from '../core/errors.js';
import { moduleWorker, workerReady } from './module-worker.js';

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

export type WireError = { code: string; message: string; where?: string; hint?: string };
type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: WireError };

const fromWire = (e: WireError) => new IntentOpsError(e.code as ErrorCode, e.message, { where: e.where, hint: e.hint });

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
  const worker = moduleWorker(import.meta.url, 'sqlite-thread-worker', { kind, path });
  const ready = await workerReady<WireError>(worker, (message) => ({ code: 'unavailable', message: `the ${kind} store thread failed to start: ${message}` }));
  if (!ready.ready) {
    await worker.terminate();
    throw fromWire(ready.error);
  }
  return new Thread(worker, kind, closed);
}

class Thread implements StoreThread {
  private next = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly worker: Worker,
    kind: ThreadedStoreKind,
    private readonly closedError: () => IntentOpsError,
  ) {
    worker.on('message', (r: Reply) => {
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      if (this.pending.size === 0) worker.unref();
      if (r.ok) p.resolve(r.value);
      else p.reject(fromWire(r.error));
    });
    const fail = (why: string) => {
      for (const p of this.pending.values()) p.reject(new IntentOpsError('unavailable', `${kind} store thread: ${why}`));
      this.pending.clear();
    };
    worker.on('error', (e) => fail(e.message));
    worker.on('exit', (code) => fail(`exited (${code})`));
    // an idle store must not keep the process alive; one with calls in flight must (a last write at shutdown)
    worker.unref();
  }

  call<T>(op: string, ...args: unknown[]): Promise<T> {
    if (this.closed) return Promise.reject(this.closedError());
    return this.post<T>(op, args);
  }

  private post<T>(op: string, args: unknown[]): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, op, args });
    });
  }

  close(): Promise<void> {
    if (!this.closing) {
      // calls posted before close() are answered first: the thread handles messages in order
      const done = this.post<void>('close', []);
      this.closed = true;
      this.closing = done.finally(() => this.worker.terminate()).then(() => undefined);
    }
    return this.closing;
  }
}
