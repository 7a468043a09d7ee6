import type { Command } from 'commander';
import { IntentOpsError } from '../../core/errors.js';
import type { Variant } from '../../ports/prediction-log.js';
import type { Config } from '../config.js';
import { isRegistryRef, openModel, openPredictionLog, openRegistry } from '../container/index.js';
import { serveAs } from '../classify/service.js';
import type { IntentModel } from '../classify/model.js';
import { formatMonitorReport, MONITOR_ALERT_EXIT, monitorReport, parseSince } from '../services/monitor-report.js';
import { resolveModelUri } from '../services/registry.js';
import { action, configFor, out, type CliIO } from './context.js';

type ReportOptions = { since: string; until?: string; model: string; log?: string; variant: Variant; allVersions?: boolean; json?: boolean };

const VARIANTS: readonly Variant[] = ['champion', 'challenger', 'shadow'];

/** `intentops monitor report`: the server's drift, quality and cost figures recomputed over a period of the prediction log. */
export function registerMonitor(program: Command, io: CliIO): void {
  const monitor = program.command('monitor').description('drift, quality and cost monitoring of served predictions');
  monitor
    .command('report')
    .description(`recompute the monitoring figures and alerts over a period of the prediction log; exit ${MONITOR_ALERT_EXIT} when an alert at severity "alert" is raised`)
    .requiredOption('--model <dir|ref>', 'the served model: a bundle directory or models:/NAME@ALIAS, models:/NAME/VERSION')
    .option('--since <when>', 'start of the period: a duration before now (30m, 24h, 7d) or an ISO-8601 time', '24h')
    .option('--until <when>', 'end of the period (exclusive), same forms; default now')
    .option('--log <uri>', 'prediction log: sqlite:./intentops.db, postgres://… (default: events.uri)')
    .option('--variant <variant>', 'champion | challenger | shadow', 'champion')
    .option('--all-versions', "count every model version's records, not only this model's")
    .option('--json', 'print the report as JSON')
    .action(
      action(io, async (o: ReportOptions, cmd: Command) => {
        if (!VARIANTS.includes(o.variant)) throw new IntentOpsError('invalid_input', `unknown variant ${JSON.stringify(o.variant)}`, { where: '--variant', hint: `one of ${VARIANTS.join(', ')}` });
        const c = configFor(cmd, io);
        const now = Date.now();
        const since = parseSince(o.since, now);
        const until = o.until ? parseSince(o.until, now) : new Date(now).toISOString();
        const uri = o.log ?? c.events.uri;
        if (uri === 'none') throw new IntentOpsError('invalid_config', 'no prediction log: events.uri is none', { where: 'events.uri', hint: 'pass --log sqlite:./intentops.db (or postgres://…)' });
        const model = await loadServedModel(o.model, c);
        const log = await openPredictionLog(uri);
        try {
          const m = c.monitor;
          const report = await monitorReport({
            log,
            model,
            since,
            until,
            variant: o.variant,
            allVersions: o.allVersions,
            minSamples: m.minSamples,
            baselineSamples: m.baselineSamples,
            thresholds: m.thresholds,
            profileExamples: m.profileExamples,
            ...(m.budget.dailyUsd > 0 ? { budget: { dailyUsd: m.budget.dailyUsd, timeZone: m.budget.timeZone } } : {}),
          });
          out(io, o.json ? JSON.stringify(report, null, 2) : formatMonitorReport(report));
          return report.alerts.some((a) => a.severity === 'alert') ? MONITOR_ALERT_EXIT : 0;
        } finally {
          await log.close();
        }
      }),
    );
}

/** The model as the server identified it in the log: a registry version answers as NAME + version number. */
async function loadServedModel(spec: string, c: Config): Promise<IntentModel> {
  if (!isRegistryRef(spec)) return openModel(spec, c);
  const reg = await openRegistry(c);
  try {
    const v = await resolveModelUri(reg, spec);
    return serveAs(await openModel(v.path, c), { name: v.name, version: String(v.version) });
  } finally {
    await reg.store.close();
  }
}
