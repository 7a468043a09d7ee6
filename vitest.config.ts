import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'web/**/*.test.ts'],
    // deadlines for a hung test, not speed targets: the slowest end-to-end tests (a CLI run over
    // 24,000 rows twice, a dozen CLI processes in a row) take 30–90 s on a loaded 2-core machine
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // vitest's default (cores − 1) runs the files one at a time on a 2-core machine, where most
    // of an end-to-end file's time is spent waiting on the processes and servers it starts; two
    // at a time there (every test names its own ports, temp dirs, tables and streams).
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
