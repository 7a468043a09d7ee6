/**
 * vitest setup file (vitest.config.ts), run in each test worker: the threads the code under test
 * starts (SQLite store threads, training folds, background searches) run the compiled dist/ that
 * the global setup (test/helpers/global-setup.ts) has just made current, as a user's process does,
 * instead of loading tsx and compiling src/ again in every thread (src/adapters/module-worker.ts).
 * src/adapters/fold-threads.test.ts checks both ways give the same answers.
 */
import { startThreadsFromCompiled } from '../../src/adapters/module-worker.js';

startThreadsFromCompiled(true);
