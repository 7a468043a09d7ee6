import type { Command } from 'commander';
import { openLoop, openLoopStatus } from '../container/index.js';
import { whoAmI } from '../config.js';
import type { LoopRunResult } from '../services/loop.js';
import { createLogger } from '../telemetry/index.js';
import type { LoopIteration } from '../../ports/loop-store.js';
import { action, configFor, out, type CliIO } from './context.js';
import { processLifecycle } from './process-lifecycle.js';

const line = (r: LoopRunResult) => `${r.name}: iteration ${r.iteration.id} ${r.status}${r.steps.length ? ` (steps: ${r.steps.join(' → ')})` : ''}: ${r.message}`;

function describe(it: LoopIteration): string {
  const head = `iteration ${it.id}  ${it.state === 'done' ? it.outcome : `at ${it.state}`}  started ${it.startedAt}  updated ${it.updatedAt}`;
  const parts = [it.version !== null ? `challenger v${it.version}` : '', it.baseline !== null ? `against champion v${it.baseline}` : '', it.labels !== null ? `${it.labels} labels` : ''].filter(Boolean);
  return [head, parts.length ? `  ${parts.join(', ')}` : '', it.reason ? `  ${it.reason}` : ''].filter(Boolean).join('\n');
}

/** `intentops loop run|status`: the job that retrains, gates, shadows and promotes (services/loop.ts). */
export function registerLoop(program: Command, io: CliIO): void {
  const loop = program.command('loop').description('collect labels → retrain → gate vs champion → challenger → shadow → promote, or stop and alert (config section loop)');

  loop
    .command('run')
    .description('advance the loop by the steps that are due; with --once one pass and exit (a CronJob), else one pass every loop.everyMinutes until SIGTERM')
    .option('--once', 'one pass, then exit')
    .option('--json', 'print each pass as JSON')
    .action(
      action(io, async (o: { once?: boolean; json?: boolean }, cmd: Command) => {
        const c = configFor(cmd, io);
        const log = createLogger({ level: c.logging.level, destination: io.stderr as NodeJS.WritableStream & { write(s: string): boolean } });
        const pass = async () => {
          const { service, close } = await openLoop(c, { who: whoAmI(io.env), log });
          try {
            const r = await service.run();
            out(io, o.json ? JSON.stringify(r) : line(r));
          } finally {
            await close();
          }
        };
        if (o.once) return pass();
        const life = processLifecycle(log);
        try {
          for (let stop = false; !stop; ) {
            // a failed pass is logged and retried at the next tick: the state machine resumes where it stopped
            await pass().catch((e: unknown) => log.error({ err: (e as Error).message }, 'loop pass failed'));
            let timer: NodeJS.Timeout | undefined;
            stop = await Promise.race([life.stopped.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), c.loop.everyMinutes * 60_000)))]);
            clearTimeout(timer);
          }
        } finally {
          life.dispose();
        }
      }),
    );

  loop
    .command('status')
    .description('the latest iterations of the loop and the journal of the latest')
    .option('--limit <n>', 'iterations shown', '10')
    .option('--json', 'print JSON')
    .action(
      action(io, async (o: { limit: string; json?: boolean }, cmd: Command) => {
        const c = configFor(cmd, io);
        const { store, name, close } = await openLoopStatus(c);
        try {
          const iterations = await store.iterations(name, { limit: Number(o.limit) });
          const journal = iterations[0] ? await store.journal(iterations[0].id) : [];
          if (o.json) return out(io, JSON.stringify({ name, iterations, journal }, null, 2));
          if (!iterations.length) return out(io, `${name}: the loop has not run yet (run \`intentops loop run --once\`)`);
          out(io, `${name}:\n${iterations.map(describe).join('\n')}`);
          out(io, `\njournal of iteration ${iterations[0].id}:\n${journal.map((e) => `  ${e.at}  ${e.step.padEnd(8)} ${e.phase.padEnd(5)} ${e.outcome ?? ''}${e.detail ? `  ${e.detail}` : ''}`).join('\n')}`);
        } finally {
          await close();
        }
      }),
    );
}
