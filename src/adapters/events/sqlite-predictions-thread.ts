import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { IntentOpsError, type ErrorCode } from '../../core/errors.js';
import type { PredictionLog, PredictionQuery, PredictionRecord, Variant } from '../../ports/prediction-log.js';
import { closedError } from './common.js';

type WireError = { code: string; message: string; where?: string; hint?: string };
type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: WireError };

const fromWire = (e: WireError) => new IntentOpsError(e.code as ErrorCode, e.message, { where: e.where, hint: e.hint });

/**
 * The SQLite prediction log on a thread of its own. The serving path appends a batch every
 * 100 ms; a synchronous SQLite insert of that batch (and the index updates of a growing table)
 * held the event loop for milliseconds, which every request waiting behind it paid for. Here
 * the caller only posts the records; the worker (prediction-log-worker.ts) owns the connection.
 * Calls are answered in order, so a `get` sees every earlier `append`.
 */
export async function openThreadedPredictionLog(path: string): Promise<PredictionLog> {
  // under tsx (tests, `npm run intentops`) the worker registers tsx first to load the TypeScript source
  const source = import.meta.url.endsWith('.ts');
  const entry = new URL(`./prediction-log-worker.${source ? 'ts' : 'js'}`, import.meta.url);
  const worker = source
    ? new Worker(`import(${JSON.stringify(pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href)}).then((t) => { t.register(); return import(${JSON.stringify(entry.href)}); })`, { eval: true, workerData: { path } })
    : new Worker(entry, { workerData: { path } });
  const ready = await new Promise<{ ready: boolean; error?: WireError }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  }).catch((e: unknown) => ({ ready: false, error: { code: 'unavailable', message: `the prediction log thread failed to start: ${(e as Error).message}` } }));
  if (!ready.ready) {
    await worker.terminate();
    throw fromWire(ready.error!);
  }
  return new ThreadedPredictionLog(worker);
}

class ThreadedPredictionLog implements PredictionLog {
  private next = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  private closed = false;

  constructor(private readonly worker: Worker) {
    worker.on('message', (r: Reply) => {
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      if (this.pending.size === 0) worker.unref();
      if (r.ok) p.resolve(r.value);
      else p.reject(fromWire(r.error));
    });
    const fail = (why: string) => {
      for (const p of this.pending.values()) p.reject(new IntentOpsError('unavailable', `prediction log thread: ${why}`));
      this.pending.clear();
    };
    worker.on('error', (e) => fail(e.message));
    worker.on('exit', (code) => fail(`exited (${code})`));
    // an idle log must not keep the process alive; one with calls in flight must (a last flush at shutdown)
    worker.unref();
  }

  private call<T>(op: string, ...args: unknown[]): Promise<T> {
    if (this.closed) return Promise.reject(closedError('SQLite prediction log'));
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, op, args });
    });
  }

  append(records: readonly PredictionRecord[]): Promise<void> {
    return this.call('append', records);
  }

  get(id: string, variant?: Variant): Promise<PredictionRecord | undefined> {
    return this.call('get', id, variant);
  }

  query(q?: PredictionQuery): Promise<PredictionRecord[]> {
    return this.call('query', q);
  }

  purge(before: string): Promise<number> {
    return this.call('purge', before);
  }

  count(q?: Omit<PredictionQuery, 'limit'>): Promise<number> {
    return this.call('count', q);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    const done = this.call<void>('close');
    this.closed = true;
    await done;
    await this.worker.terminate();
  }
}
