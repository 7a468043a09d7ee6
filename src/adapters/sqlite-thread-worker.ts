import { parentPort, workerData } from 'node:worker_threads';
import { IntentOpsError } from '../core/errors.js';
import type { ThreadedStoreKind, WireError } from './sqlite-thread.js';

/*
 * The thread that owns one SQLite store file (see sqlite-thread.ts): every call arrives as a
 * message and is answered in order, so writes never hold up the serving thread's event loop.
 */

type Call = { id: number; op: string; args: unknown[] };
type Store = { close(): Promise<void> } & Record<string, unknown>;

const OPENERS: Readonly<Record<ThreadedStoreKind, (path: string) => Promise<unknown>>> = {
  predictions: async (path) => (await import('./events/sqlite-predictions.js')).openSqlitePredictionLog(path),
  review: async (path) => (await import('./stores/sqlite-review.js')).openSqliteReviewStore(path),
};

function wireError(e: unknown): WireError {
  if (e instanceof IntentOpsError) return { code: e.code, message: e.message, where: e.where, hint: e.hint };
  return { code: 'internal', message: (e as Error)?.message ?? String(e) };
}

const port = parentPort!;
const { kind, path } = workerData as { kind: ThreadedStoreKind; path: string };
let store: Store;
try {
  store = (await OPENERS[kind](path)) as Store;
  port.postMessage({ ready: true });
} catch (e) {
  port.postMessage({ ready: false, error: wireError(e) });
  process.exit(0);
}

port.on('message', async (m: Call) => {
  try {
    const f = store[m.op];
    if (typeof f !== 'function') throw new IntentOpsError('internal', `the ${kind} store has no operation ${m.op}`);
    const value = await (f as (...a: unknown[]) => Promise<unknown>).apply(store, m.args);
    port.postMessage({ id: m.id, ok: true, value });
    if (m.op === 'close') port.close();
  } catch (e) {
    port.postMessage({ id: m.id, ok: false, error: wireError(e) });
  }
});
