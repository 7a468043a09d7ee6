import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parentPort, Worker } from 'node:worker_threads';
import { IntentOpsError, type ErrorCode } from '../core/errors.js';

/*
 * The threads that take work off the serving event loop (the SQLite store thread, the search
 * thread) speak one small protocol: the worker opens what it serves and says `{ ready }`; each
 * call is a message with an `id`, answered by `{ id, ok, value }` or `{ id, ok: false, error }`,
 * the error travelling with its code, where and hint. Calls made in the same turn of the event
 * loop travel as one `{ batch: [...] }` message (and their answers as one), in call order: under
 * load a message per call cost the serving thread more than the work it handed off.
 */

export type WireError = { code: string; message: string; where?: string; hint?: string };
type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: WireError };
type Ready = { ready: true } | { ready: false; error: WireError };
type Batch<T> = { batch: T[] };

/** Messages collected during one turn of the event loop, posted together (one, as itself; several, as a batch) once it is over. */
class Outbox<T> {
  private items: T[] = [];

  constructor(private readonly post: (m: T | Batch<T>) => void) {}

  push(m: T): void {
    if (this.items.push(m) === 1) setImmediate(this.flush);
  }

  /** Drops what was not posted yet (the thread ended: its callers were told). */
  clear(): void {
    this.items = [];
  }

  private readonly flush = (): void => {
    const items = this.items;
    if (!items.length) return;
    this.items = [];
    this.post(items.length === 1 ? items[0] : { batch: items });
  };
}

function isBatch<T>(m: T | Batch<T>): m is Batch<T> {
  return !!m && typeof m === 'object' && 'batch' in m && Array.isArray(m.batch);
}

function each<T>(m: T | Batch<T>, f: (x: T) => void): void {
  if (isBatch(m)) for (const x of m.batch) f(x);
  else f(m);
}

export function wireError(e: unknown): WireError {
  if (e instanceof IntentOpsError) return { code: e.code, message: e.message, where: e.where, hint: e.hint };
  return { code: 'internal', message: (e as Error)?.message ?? String(e) };
}

const fromWire = (e: WireError) => new IntentOpsError(e.code as ErrorCode, e.message, { where: e.where, hint: e.hint });

/**
 * Starts a worker thread running the module `name` (without extension) next to `base` (the
 * caller's import.meta.url) — the .js file once built, the .ts source under tsx (tests, `npm run
 * intentops`), where the worker registers tsx before importing it — and waits for it to be
 * ready. Rejects with the worker's own open error (code kept), or 'unavailable' naming `what`
 * when it crashed first; the thread is ended either way.
 */
export async function startModuleWorker(base: string, name: string, workerData: unknown, what: string): Promise<Worker> {
  const dist = base.endsWith('.ts') ? compiledTwin(base) : undefined;
  if (dist) base = dist;
  const source = base.endsWith('.ts');
  const entry = new URL(`./${name}.${source ? 'ts' : 'js'}`, base);
  const tsx = source ? pathToFileURL(createRequire(base).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href : '';
  const worker = source ? new Worker(`import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(entry.href)}); })`, { eval: true, workerData }) : new Worker(entry, { workerData });
  const ready = await new Promise<Ready>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  }).catch((e: unknown): Ready => ({ ready: false, error: { code: 'unavailable', message: `the ${what} failed to start: ${(e as Error).message}` } }));
  if (!ready.ready) {
    await worker.terminate();
    throw fromWire(ready.error);
  }
  return worker;
}

let fromCompiled = false;

/**
 * Whether a process running src/ through a TypeScript loader starts its threads from the compiled
 * twin of the worker module (src/… → dist/….js, the code a user's process runs) instead of loading
 * the loader and compiling the sources again in each thread (about 0.3 CPU-seconds a thread). The
 * test suite turns it on (test/helpers/threads.ts) once its global setup has compiled src/ into
 * dist/. Returns the previous setting.
 */
export function startThreadsFromCompiled(on: boolean): boolean {
  const was = fromCompiled;
  fromCompiled = on;
  return was;
}

/** The compiled twin of `base` when startThreadsFromCompiled is on and it exists, else undefined. */
export function compiledTwin(base: string): string | undefined {
  if (!fromCompiled) return undefined;
  const m = /^(.*)\/src\/(.*)\.ts$/.exec(fileURLToPath(base));
  if (!m) return undefined;
  const twin = `${m[1]}/dist/${m[2]}.js`;
  return existsSync(twin) ? pathToFileURL(twin).href : undefined;
}

/**
 * The calling side: `call(message)` posts it with a fresh id and settles with the answer. When
 * the thread fails, exits or is ended, waiting and later calls are rejected with 'unavailable'
 * (`<name>: <why>`). The thread never keeps the process alive when idle; with `holdWhileBusy`
 * it does while calls are in flight (a store's last write at shutdown).
 */
export class WorkerCalls {
  private next = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  private ended: string | undefined;
  private readonly outbox: Outbox<Record<string, unknown>>;

  constructor(
    private readonly worker: Worker,
    private readonly o: { readonly name: string; readonly holdWhileBusy: boolean; readonly where?: string },
  ) {
    this.outbox = new Outbox((m) => worker.postMessage(m));
    worker.on('message', (m: Reply | Batch<Reply>) => each(m, this.settle));

    worker.on('error', (e) => this.end(e.message));
    worker.on('exit', (code) => this.end(`exited (${code})`));
    worker.unref();
  }

  private readonly settle = (r: Reply): void => {
    const p = this.pending.get(r.id);
    if (!p) return;
    this.pending.delete(r.id);
    if (this.o.holdWhileBusy && this.pending.size === 0) this.worker.unref();
    if (r.ok) p.resolve(r.value);
    else p.reject(fromWire(r.error));
  };

  private error(why: string): IntentOpsError {
    return new IntentOpsError('unavailable', `${this.o.name}: ${why}`, { where: this.o.where });
  }

  call<T>(message: Record<string, unknown>): Promise<T> {
    if (this.ended) return Promise.reject(this.error(this.ended));
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      if (this.o.holdWhileBusy && this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.outbox.push({ ...message, id });
    });
  }

  /** Rejects what is waiting, and every later call, with `why`. */
  end(why: string): void {
    this.ended ??= why;
    this.outbox.clear();
    for (const p of this.pending.values()) p.reject(this.error(why));
    this.pending.clear();
  }

  /** Ends the calls ('closed') and the thread. */
  async terminate(): Promise<void> {
    this.end('closed');
    await this.worker.terminate();
  }
}

/**
 * The worker's side: opens what it serves (an open failure is reported and the thread ends),
 * says it is ready, then answers each message with `handle`. Messages are handled in arrival
 * order; a handler whose work is synchronous up to its first await (better-sqlite3, hnswlib)
 * therefore answers in order too.
 */
export interface ServeOptions<T, M> {
  /**
   * Runs the calls of one batch: `run` runs them one after another and settles when all have
   * answered. The SQLite store threads wrap it in one transaction, so a batch of writes costs one
   * commit. Rejecting after `run` fails every call of the batch that had succeeded (the commit
   * failed: none of their writes stayed); rejecting before it runs the calls one by one.
   * With `batch`, messages are handled strictly one after another (a store's reads see every
   * earlier write, whatever its handler awaits).
   */
  readonly batch?: (target: T, calls: readonly M[], run: () => Promise<unknown>) => Promise<void>;
}

export async function serveCalls<T, M extends { id: number }>(open: () => Promise<T> | T, handle: (target: T, m: M) => unknown, o: ServeOptions<T, M> = {}): Promise<void> {
  const port = parentPort!;
  let target: T;
  try {
    target = await open();
  } catch (e) {
    port.postMessage({ ready: false, error: wireError(e) });
    process.exit(0);
  }
  port.postMessage({ ready: true });
  const replies = new Outbox<Reply>((r) => port.postMessage(r));
  const settle = async (m: M): Promise<Reply> => {
    try {
      return { id: m.id, ok: true, value: await handle(target, m) };
    } catch (e) {
      return { id: m.id, ok: false, error: wireError(e) };
    }
  };
  const batch = o.batch;
  if (!batch) {
    const answer = (m: M) => void settle(m).then((r) => replies.push(r));
    port.on('message', (m: M | Batch<M>) => each(m, answer));
    return;
  }
  const inOrder = async (calls: readonly M[]): Promise<Reply[]> => {
    const out: Reply[] = [];
    for (const m of calls) out.push(await settle(m));
    return out;
  };
  const handleBatch = async (calls: readonly M[]): Promise<void> => {
    let answers: Promise<Reply[]> | undefined;
    let failed: WireError | undefined;
    try {
      await batch(target, calls, () => (answers ??= inOrder(calls)));
    } catch (e) {
      failed = wireError(e);
    }
    if (!answers) {
      // the batch never ran (its transaction could not start): each call on its own
      failed = undefined;
      answers = inOrder(calls);
    }
    for (const r of await answers) replies.push(failed && r.ok ? { id: r.id, ok: false, error: failed } : r);
  };
  let line: Promise<void> = Promise.resolve();
  port.on('message', (m: M | Batch<M>) => {
    line = line.then(() => (isBatch(m) ? handleBatch(m.batch) : settle(m).then((r) => replies.push(r))));
  });
}
