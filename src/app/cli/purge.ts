import type { Command } from 'commander';
import { openEvents } from '../container/index.js';
import { formatPurge, parseDuration, purgeEvents } from '../services/purge.js';
import { action, configFor, out, type CliIO } from './context.js';

/** `intentops purge`: retention for the prediction log and feedback (run it daily from cron or a CronJob). */
export function registerPurge(program: Command, io: CliIO): void {
  program
    .command('purge')
    .description('delete predictions and feedback older than the retention period (events.retentionDays, default 30 days)')
    .option('--older-than <duration>', 'retention period, e.g. 30d, 24h, 90m (default: events.retentionDays)')
    .option('--dry-run', 'only count what would be deleted')
    .option('--store <uri>', 'events store: sqlite:./intentops.db (default: events.uri), postgres://…')
    .option('--json', 'print JSON')
    .action(
      action(io, async (o: { olderThan?: string; dryRun?: boolean; store?: string; json?: boolean }, cmd: Command) => {
        const c = configFor(cmd, io);
        const olderThan = o.olderThan ?? `${c.events.retentionDays}d`;
        const olderThanMs = parseDuration(olderThan, o.olderThan === undefined ? 'events.retentionDays' : '--older-than');
        const events = await openEvents(c, { store: o.store });
        try {
          const r = await purgeEvents({ predictions: events.predictions, feedback: events.store, olderThanMs, dryRun: o.dryRun });
          out(io, o.json ? JSON.stringify({ ...r, olderThan }) : formatPurge(r, olderThan));
        } finally {
          await events.close();
        }
      }),
    );
}
