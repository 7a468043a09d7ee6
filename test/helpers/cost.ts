/**
 * Opt-in cost log of a test run: `INTENTOPS_TEST_COST=/tmp/cost.jsonl npx vitest run` (vitest.config.ts
 * adds this setup file only then), summed up by `node scripts/test-cost.mjs /tmp/cost.jsonl`.
 *
 * One JSON line per test file: the CPU-seconds its vitest worker process used (`self`: user + system,
 * module loading included) and those of the child processes it started and waited for (`children`:
 * the CLI, servers, browsers, helper scripts), read from /proc/self/stat when the file's last hook
 * has run; its wall time; and every process it started (child_process.spawn, spawnSync, execFile,
 * execFileSync, fork, exec, execSync), by command and first two arguments, and every thread it
 * started (worker_threads.Worker, as `thread ENTRY`: their CPU is the worker process's own). Not counted: processes
 * still running or never waited for, and the servers the tests talk to (PostgreSQL, Redis, NATS).
 * A worker process that runs one file (isolated) is charged from its start; one that runs several
 * (the `unit` project: isolate false) charges each file what was used since the previous one ended,
 * the first file also the worker's start. Linux only (/proc).
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { relative } from 'node:path';
import { afterAll, expect } from 'vitest';
import { ROOT } from './sample.js';

const LOG = process.env.INTENTOPS_TEST_COST;
if (!LOG) throw new Error('test/helpers/cost.ts: INTENTOPS_TEST_COST names the file to append to (vitest.config.ts adds this setup file only when it is set)');
if (!existsSync('/proc/self/stat')) throw new Error('test/helpers/cost.ts: reads /proc/self/stat (Linux); unset INTENTOPS_TEST_COST on this system');

const spawns: string[] = [];
// the bundles test/helpers/trained.ts gave this file: trained here (CPU-seconds of the training in
// this process, or of waiting for another file's) or copied from the shared cache
const trainings: { data: string; seed: number; trained: boolean; cpu: number }[] = [];
// with isolate: false this file runs again for each test file in the same process: wrap once
const state = ((globalThis as Record<string, unknown>).__intentopsTestCost ??= { wrapped: false, charged: [0, 0], spawns, trainings }) as { wrapped: boolean; charged: [number, number]; spawns: string[]; trainings: typeof trainings };
state.spawns = spawns;
state.trainings = trainings;
const cp = createRequire(import.meta.url)('node:child_process') as Record<string, (...a: unknown[]) => unknown>;
if (!state.wrapped) {
  state.wrapped = true;
  for (const name of ['spawn', 'spawnSync', 'execFile', 'execFileSync', 'fork', 'exec', 'execSync']) {
    const original = cp[name];
    cp[name] = function (this: unknown, ...args: unknown[]) {
      const argv = Array.isArray(args[1]) ? (args[1] as unknown[]).slice(0, 2).map(String) : [];
      state.spawns.push([name, String(args[0]), ...argv].join(' ').replaceAll(`${ROOT}/`, '').slice(0, 200));
      return original.apply(this, args);
    } as never;
  }
  // threads (worker_threads.Worker): their CPU is the worker process's own; counted by entry
  const wt = createRequire(import.meta.url)('node:worker_threads') as { Worker: new (...a: unknown[]) => object };
  const Original = wt.Worker;
  wt.Worker = class extends Original {
    constructor(...args: unknown[]) {
      const entry = args[0] instanceof URL ? args[0].pathname : String(args[0]);
      state.spawns.push(`thread ${entry.includes('import(') ? `(eval) ${/([\w-]+)\.ts/.exec(entry)?.[1] ?? ''}.ts` : entry}`.replaceAll(`${ROOT}/`, '').slice(0, 200));
      super(...args);
    }
  };
  // the test files' `import { spawn } from 'node:child_process'` see the wrapped functions
  syncBuiltinESMExports();
}

/** [own, waited-for children] CPU-seconds of this process so far (fields utime stime cutime cstime). */
function cpu(): [number, number] {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = (i: number) => Number(f[i]) / 100; // USER_HZ
  return [ticks(11) + ticks(12), ticks(13) + ticks(14)];
}

const started = Date.now();
afterAll(() => {
  const now = cpu();
  const [self, children] = [now[0] - state.charged[0], now[1] - state.charged[1]];
  state.charged = now;
  const file = relative(ROOT, expect.getState().testPath ?? '?');
  appendFileSync(LOG, JSON.stringify({ file, self, children, wall: (Date.now() - started) / 1000, spawns, trainings }) + '\n');
});
