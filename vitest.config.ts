import { availableParallelism } from 'node:os';
import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Files whose subject is timing under load (SIGTERM drains with keep-alive clients, fault
 * injection with deadlines, process signals): they run one at a time after the rest, alone on
 * the machine, as they did when the whole suite ran serially. What needs no such quiet stays out
 * of them: serve's start-up failures and the review commands (test/e2e/serve-cli.test.ts), and
 * the two kill tests that wait for an event rather than a deadline (test/fault/loop-kill.test.ts
 * kills at named checkpoints, test/fault/train-kill.test.ts once the run is recorded).
 */
const SERIAL = ['test/e2e/serve-drain.test.ts', 'test/e2e/serve.test.ts', 'test/fault/postgres.test.ts', 'test/fault/redis.test.ts', 'test/fault/worker.test.ts'];

/**
 * Test files that need a module graph of their own, each in a fresh worker process: one checks
 * what a fresh process has loaded (the native HNSW module only on first use), one mocks a module
 * (vi.mock cannot replace what a shared worker imported for an earlier file), one sets the
 * environment variable of the trained-bundle cache for its own checks.
 */
const FRESH_PROCESS = ['src/adapters/vector-index/index.test.ts', 'src/adapters/vector-index/exact-rescore.test.ts', 'test/helpers/trained.test.ts'];

// vitest's default (cores − 1) runs the files one at a time on a 2-core machine, where most of an
// end-to-end file's time is spent waiting on the processes and servers it starts; two at a time
// there (every test names its own ports, temp dirs, tables, streams). Three at a time was tried on
// 7 December 2026: test/e2e/worker.test.ts (a worker SIGKILLed mid-stream) then failed on the
// loaded machine, so two it stays.
const MAX_WORKERS = Math.max(2, availableParallelism() - 1);

export default defineConfig({
  test: {
    // deadlines for a hung test, not speed targets: the slowest end-to-end tests (a CLI run over
    // 6,000 rows twice, a dozen CLI processes in a row) take 30–90 s on a loaded 2-core machine
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // compiles src/ into dist/ when a source is newer: the tests start the CLI from dist/
    globalSetup: ['test/helpers/global-setup.ts'],
    // the threads the code under test starts run the compiled dist/ (test/helpers/threads.ts);
    // INTENTOPS_TEST_COST=FILE logs each test file's CPU and the processes it starts
    // (test/helpers/cost.ts; scripts/test-cost.mjs sums it up)
    setupFiles: ['test/helpers/threads.ts', ...(process.env.INTENTOPS_TEST_COST ? ['test/helpers/cost.ts'] : [])],
    projects: [
      {
        extends: true,
        test: {
          // every other file: one worker process runs many files, which import src/ once instead
          // of once per file (vitest's isolate: false). Measured on 7 December 2026 (2-core
          // machine): the unit tests beside the code (src/adapters, src/app) 127 CPU-seconds shared
          // against 160 isolated (loaded machine); the files under test/ as well, whole suite on
          // the quiet machine, 400 → 378 CPU-seconds in test files (cost log), vitest's import time
          // 36 → 18 s. These files keep no state between files: no module mocks, stubbed globals or
          // env changes, and each opens its own stores, servers, ports, tables, streams and temp
          // dirs. A file that needs a fresh process runs in the next project (FRESH_PROCESS).
          name: 'shared',
          include: ['src/**/*.test.ts', 'web/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...SERIAL, ...FRESH_PROCESS],
          isolate: false,
          maxWorkers: MAX_WORKERS,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'isolated',
          include: [...FRESH_PROCESS],
          exclude: [...configDefaults.exclude, ...SERIAL],
          maxWorkers: MAX_WORKERS,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: { name: 'serial', include: SERIAL, fileParallelism: false, sequence: { groupOrder: 2 } },
      },
    ],
  },
});
