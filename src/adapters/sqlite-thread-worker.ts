import { workerData } from 'node:worker_threads';
import { IntentOpsError } from '../core/errors.js';
import { serveCalls } from './module-worker.js';
import type { ThreadedStoreKind } from './sqlite-thread.js';

/*
 * The thread that owns one SQLite store file (see sqlite-thread.ts): every call arrives as a
 * message and is answered in order, so writes never hold up the serving thread's event loop.
 */

type Store = Record<string, unknown>;

const OPENERS: Readonly<Record<ThreadedStoreKind, (path: string) => Promise<unknown>>> = {
  predictions: async (path) => (await import('./prediction-log/index.js')).openSqlitePredictionLog(path),
  review: async (path) => (await import('./review-store/index.js')).openSqliteReviewStore(path),
};

const { kind, path } = workerData as { kind: ThreadedStoreKind; path: string };

await serveCalls(
  async () => (await OPENERS[kind](path)) as Store,
  (store, m: { id: number; op: string; args: unknown[] }) => {
    const f = store[m.op];
    if (typeof f !== 'function') throw new IntentOpsError('internal', `the ${kind} store has no operation ${m.op}`);
    return (f as (...a: unknown[]) => Promise<unknown>).apply(store, m.args);
  },
  {
    // the calls that arrived together (a review item per unsure message) share one commit
    batch: async (store, calls, run) => {
      const transact = store.transact;
      if (typeof transact !== 'function' || calls.some((m) => m.op === 'close')) return void (await run());
      await (transact as (run: () => Promise<unknown>) => Promise<void>).call(store, run);
    },
  },
);
