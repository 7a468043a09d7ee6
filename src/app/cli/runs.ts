import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { openTracking } from '../container/index.js';
import { IntentOpsError } from '../../core/errors.js';
import type { Run, TrackingStore } from '../../ports/tracking-store.js';
import type { EvaluationReport } from '../services/evaluate.js';
import { compareRuns, formatComparison, recordEvaluation } from '../services/runs.js';
import { action, configFor, intOption, out, type CliIO } from './context.js';

/** How far back `eval` looks for the training run of a bundle. */
const RUNS_SCANNED = 1000;

/**
 * The training run that wrote the bundle in `dir`: the newest run recorded with that bundle path
 * and the bundle's data hash (a retrain into the same directory is a newer run). Undefined for a
 * cascade, a registry reference or a bundle trained without tracking.
 */
export async function runOfBundle(store: TrackingStore, dir: string, dataHash: string): Promise<Run | undefined> {
  if (dir.includes(',') || !existsSync(dir)) return undefined;
  const bundle = resolve(dir);
  let before: string | undefined;
  for (let seen = 0; seen < RUNS_SCANNED; ) {
    const page = await store.listRuns({ limit: 200, before });
    const hit = page.find((r) => r.bundle === bundle && r.data.hash === dataHash && r.status === 'finished');
    if (hit) return hit;
    if (page.length < 200) return undefined;
    seen += page.length;
    before = page[page.length - 1].id;
  }
  return undefined;
}

/**
 * Adds an evaluation's test figures (testAccuracy, testMacroF1, testEce, per-intent) to the run
 * that trained the bundle, so `runs list`, `runs compare` and the dashboard show them. Returns
 * the run id, or undefined when tracking is off or no run wrote this bundle.
 */
export async function recordEvaluationOfBundle(cmd: Command, io: CliIO, dir: string, report: EvaluationReport): Promise<string | undefined> {
  const c = configFor(cmd, io);
  if (c.tracking.uri === 'none') return undefined;
  // evaluating never creates a tracking database: no database, no training run to add to
  const file = /^sqlite:(?!:memory:)(.+)$/.exec(c.tracking.uri)?.[1];
  if (file && !existsSync(file)) return undefined;
  const store = await openTracking(c);
  try {
    const run = await runOfBundle(store, dir, report.model.dataHash);
    if (!run) return undefined;
    await recordEvaluation(store, run.id, report);
    return run.id;
  } finally {
    await store.close();
  }
}

/** A run by full id or unique prefix (ids are 36-character UUIDs). */
async function findRun(store: TrackingStore, ref: string): Promise<Run> {
  const exact = await store.getRun(ref);
  if (exact) return exact;
  const matches = (await store.listRuns({ limit: 1000 })).filter((r) => r.id.startsWith(ref));
  if (matches.length === 1) return matches[0];
  throw new IntentOpsError(matches.length ? 'invalid_input' : 'not_found', matches.length ? `run prefix ${ref} matches ${matches.length} runs` : `no run ${ref}`, {
    where: ref,
    hint: 'see `intentops runs list` for ids (a unique prefix is enough)',
  });
}

/** The embedder a run used: recorded as `{ name, config }` (older runs: a bare name). */
export function embedderName(e: unknown): string {
  if (typeof e === 'string') return e;
  if (e && typeof e === 'object' && typeof (e as { name?: unknown }).name === 'string') return (e as { name: string }).name;
  return '';
}

/** `intentops runs …`: experiment tracking (every `train` records a run). */
export function registerRuns(program: Command, io: CliIO): void {
  const runs = program.command('runs').description('experiment tracking: every training run with its parameters, data hash and metrics');
  const withStore = async <T>(cmd: Command, fn: (s: TrackingStore) => Promise<T>): Promise<T> => {
    const s = await openTracking(configFor(cmd, io));
    try {
      return await fn(s);
    } finally {
      await s.close();
    }
  };
  runs
    .command('list')
    .option('--limit <n>', 'how many, newest first', intOption('--limit'), 20)
    .option('--json', 'print JSON')
    .action(
      action(io, async (o: { limit: number; json?: boolean }, cmd: Command) => {
        const list = await withStore(cmd, (s) => s.listRuns({ limit: o.limit }));
        if (o.json) return out(io, JSON.stringify(list, null, 2));
        if (!list.length) return out(io, 'no runs yet (every `intentops train` records one)');
        for (const r of list) {
          const acc = r.metrics.testAccuracy ?? r.metrics.valAccuracy;
          out(io, `${r.id.slice(0, 13)}  ${r.createdAt}  ${r.status.padEnd(8)} ${r.name.padEnd(20)} ${embedderName(r.params.embedder).padEnd(12)} ${acc === undefined ? '' : `acc ${(100 * acc).toFixed(2)}%`}`);
        }
      }),
    );
  runs
    .command('show')
    .argument('<id>', 'run id or unique prefix')
    .action(action(io, async (id: string, _o: unknown, cmd: Command) => out(io, JSON.stringify(await withStore(cmd, (s) => findRun(s, id)), null, 2))));
  runs
    .command('compare')
    .argument('<a>', 'run id or prefix')
    .argument('<b>', 'run id or prefix')
    .option('--json', 'print JSON')
    .action(
      action(io, async (a: string, b: string, o: { json?: boolean }, cmd: Command) => {
        const cmp = await withStore(cmd, async (s) => compareRuns(await findRun(s, a), await findRun(s, b)));
        out(io, o.json ? JSON.stringify(cmp, null, 2) : formatComparison(cmp));
      }),
    );
}
