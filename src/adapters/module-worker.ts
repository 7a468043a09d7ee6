import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * A worker thread running the module `name` (without extension) next to `base` (the caller's
 * import.meta.url): the .js file once built, the .ts source under tsx (tests, `npm run
 * intentops`), where the worker registers tsx before importing it.
 */
export function moduleWorker(base: string, name: string, workerData: unknown): Worker {
  const source = base.endsWith('.ts');
  const entry = new URL(`./${name}.${source ? 'ts' : 'js'}`, base);
  if (!source) return new Worker(entry, { workerData });
  const tsx = pathToFileURL(createRequire(base).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  return new Worker(`import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(entry.href)}); })`, { eval: true, workerData });
}

/** Waits for the worker's first message, `{ ready: true }` or `{ ready: false, error }`; a crash before it counts as not ready. */
export async function workerReady<E>(worker: Worker, startError: (message: string) => E): Promise<{ ready: true } | { ready: false; error: E }> {
  return new Promise<{ ready: true } | { ready: false; error: E }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  }).catch((e: unknown) => ({ ready: false, error: startError((e as Error).message) }));
}
