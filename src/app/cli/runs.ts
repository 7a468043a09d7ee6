import type { Command } from 'commander';
import { openTracking } from '../container.js';
import { IntentOpsError } from '../../core/errors.js';
import type { Run, TrackingStore } from '../../ports/tracking-store.js';
import { compareRuns, formatComparison } from '../services/runs.js';
import { action, configFor, intOption, out, type CliIO } from './context.js';

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
