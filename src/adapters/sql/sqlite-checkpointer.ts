import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/*
 * WAL checkpoints off the event loop. In WAL mode with synchronous=NORMAL a commit never waits
 * for the disk; a checkpoint (copying the log back into the database) does fsync, and SQLite
 * runs it inside whichever commit crosses wal_autocheckpoint. On the serving path that put
 * 100+ ms stalls into the p99 of unrelated requests. Connections that write per request turn
 * automatic checkpoints off and share one worker thread per database file, which checkpoints
 * (PASSIVE: never blocks writers or readers) on its own connection every `everyMs`.
 */

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 5000');
const tick = () => { try { db.pragma('wal_checkpoint(PASSIVE)'); } catch (e) { parentPort.postMessage({ error: String(e && e.message || e) }); } };
const timer = setInterval(tick, workerData.everyMs);
parentPort.on('message', (m) => {
  if (m !== 'close') return;
  clearInterval(timer);
  try { db.pragma('wal_checkpoint(TRUNCATE)'); } catch {}
  db.close();
  parentPort.postMessage({ closed: true });
});
`;

interface Shared {
  worker: Worker;
  users: number;
}

const byPath = new Map<string, Shared>();

export interface CheckpointOptions {
  /** How often the worker checkpoints. Default 1000 ms. */
  readonly everyMs?: number;
  /** Told of checkpoint errors (the database stays usable: the WAL just grows until the next one). */
  readonly onError?: (message: string) => void;
}

/**
 * Turns automatic checkpoints off on `db` and checkpoints its file from a worker thread shared
 * by every connection to the same path in this process. Returns the release function to call
 * before closing `db` (the last one out checkpoints fully and stops the worker).
 */
export function checkpointInBackground(db: { pragma(sql: string): unknown }, path: string, o: CheckpointOptions = {}): () => Promise<void> {
  db.pragma('wal_autocheckpoint = 0');
  let shared = byPath.get(path);
  if (!shared) {
    const worker = new Worker(WORKER, { eval: true, workerData: { path, everyMs: o.everyMs ?? 1000, driver: createRequire(import.meta.url).resolve('better-sqlite3') } });
    worker.unref();
    worker.on('message', (m: { error?: string }) => m.error && o.onError?.(m.error));
    worker.on('error', (e) => o.onError?.(e.message));
    shared = { worker, users: 0 };
    byPath.set(path, shared);
  }
  shared.users++;
  const s = shared;
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    if (--s.users > 0) return;
    byPath.delete(path);
    await new Promise<void>((resolve) => {
      const done = () => resolve();
      s.worker.once('message', (m: { closed?: boolean }) => m.closed && void s.worker.terminate().then(done, done));
      s.worker.once('exit', done);
      s.worker.postMessage('close');
    });
  };
}
