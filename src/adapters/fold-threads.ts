import { availableParallelism } from 'node:os';
import type { FoldJob, FoldOptions, FoldResult, FoldRunner } from '../core/classifier/train.js';
import { startModuleWorker, WorkerCalls } from './module-worker.js';

/**
 * Cross-fitting folds on threads: training fits k + 4 models besides the served one (the
 * calibration folds and the leave-intents-out folds), each independent of the others, so on a
 * machine with several cores they run side by side. Each thread fits a fold and sends back only
 * its held-out logits. Every job carries its own seed: the results are those of runFoldsHere,
 * whichever thread runs which job. The threads end when the jobs are done.
 *
 * @example
 *   const run = foldThreads(2);
 *   const results = await run(jobs, options);
 */
export function foldThreads(threads = Math.min(4, availableParallelism())): FoldRunner {
  return async (jobs: readonly FoldJob[], o: FoldOptions): Promise<FoldResult[]> => {
    const n = Math.max(1, Math.min(threads, jobs.length));
    const workers = await Promise.all(Array.from({ length: n }, () => startModuleWorker(import.meta.url, 'fold-thread-worker', { o }, 'training thread')));
    const calls = workers.map((w) => new WorkerCalls(w, { name: 'training thread', holdWhileBusy: true, where: 'training' }));
    try {
      const out: FoldResult[] = new Array(jobs.length);
      let next = 0;
      // each thread takes the next job as soon as it is free (folds differ in size)
      await Promise.all(
        calls.map(async (c) => {
          while (next < jobs.length) {
            const i = next++;
            out[i] = await c.call<FoldResult>({ job: jobs[i] });
          }
        }),
      );
      return out;
    } finally {
      await Promise.all(calls.map((c) => c.terminate()));
    }
  };
}
