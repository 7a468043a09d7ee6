import { workerData } from 'node:worker_threads';
import { runFold, type FoldJob, type FoldOptions } from '../core/classifier/train.js';
import { serveCalls } from './module-worker.js';

/* The thread of fold-threads.ts: fits the folds it is sent, answering each with its held-out logits. */

const { o } = workerData as { o: FoldOptions };

await serveCalls(
  () => o,
  (opts, m: { id: number; job: FoldJob }) => runFold(m.job, opts),
);
