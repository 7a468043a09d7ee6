import { parentPort, workerData } from 'node:worker_threads';
import { IntentOpsError } from '../../core/errors.js';
import type { PredictionLog } from '../../ports/prediction-log.js';
import { openSqlitePredictionLog } from './sqlite-predictions.js';

/*
 * The thread that owns a SQLite prediction log file (see sqlite-predictions-thread.ts): every
 * call arrives as a message and is answered in order, so appends never hold up the serving
 * thread's event loop.
 */

type Call = { id: number; op: 'append' | 'get' | 'query' | 'purge' | 'count' | 'close'; args: unknown[] };

function wireError(e: unknown): { code: string; message: string; where?: string; hint?: string } {
  if (e instanceof IntentOpsError) return { code: e.code, message: e.message, where: e.where, hint: e.hint };
  return { code: 'internal', message: (e as Error)?.message ?? String(e) };
}

const port = parentPort!;
let log: PredictionLog;
try {
  log = await openSqlitePredictionLog((workerData as { path: string }).path);
  port.postMessage({ ready: true });
} catch (e) {
  port.postMessage({ ready: false, error: wireError(e) });
  process.exit(0);
}

port.on('message', async (m: Call) => {
  try {
    const f = (log as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[m.op];
    const value = await f.apply(log, m.args);
    port.postMessage({ id: m.id, ok: true, value });
    if (m.op === 'close') port.close();
  } catch (e) {
    port.postMessage({ id: m.id, ok: false, error: wireError(e) });
  }
});
