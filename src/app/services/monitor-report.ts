import { IntentOpsError } from '../../core/errors.js';
import {
  computeFigures,
  CONFIDENCE_BINS,
  confidenceBin,
  describeProfile,
  evaluateAlerts,
  minSamplesFor,
  Tally,
  type Alert,
  type Figures,
  type ReferenceProfile,
  type Thresholds,
} from '../../core/monitor/index.js';
import type { PredictionLog, PredictionQuery, PredictionRecord, Variant } from '../../ports/prediction-log.js';
import { modelIdentity } from '../classify/service.js';
import type { IntentModel } from '../classify/model.js';
import { profileOf } from './monitor.js';

/** Exit code of `intentops monitor report` when an alert at severity `alert` is raised (the code of a failed quality gate). */
export const MONITOR_ALERT_EXIT = 6;

export interface MonitorReportRequest {
  readonly log: Pick<PredictionLog, 'query'>;
  readonly model: IntentModel;
  /** Default: built from the model, as the server does at load time. */
  readonly profile?: ReferenceProfile;
  /** ISO-8601 bounds: since inclusive, until exclusive (default: now). */
  readonly since: string;
  readonly until?: string;
  /** Default champion (what clients were answered by). */
  readonly variant?: Variant;
  /** Count records of every model version, not only the given model's. */
  readonly allVersions?: boolean;
  readonly minSamples: number;
  readonly baselineSamples: number;
  readonly thresholds: Thresholds;
  readonly budget?: { readonly dailyUsd: number; readonly timeZone?: string };
  /** Records per query page. Default 10,000. */
  readonly pageSize?: number;
  readonly profileExamples?: number;
}

export interface MonitorReport {
  readonly model: { readonly name: string; readonly version: string };
  readonly period: { readonly since: string; readonly until: string; readonly variant: Variant };
  /** Records counted, and records of other model versions left out (by version). */
  readonly records: { readonly used: number; readonly otherVersions: Readonly<Record<string, number>> };
  readonly profile: ReturnType<typeof describeProfile>;
  readonly figures: Figures;
  readonly alerts: Alert[];
  /** LLM spend per budget day in the period (from the records), against the daily budget when one is set. */
  readonly llm: { readonly costUsd: number; readonly days: readonly { readonly day: string; readonly costUsd: number; readonly share: number | null }[] };
  readonly settings: { readonly minSamples: number; readonly labelMinSamples: number; readonly thresholds: Thresholds };
}

/**
 * `30m`, `24h`, `7d` before `now`, or an ISO-8601 time → ISO-8601.
 *
 * @example parseSince('24h', Date.UTC(2025, 0, 2)) // '2025-01-01T00:00:00.000Z'
 */
export function parseSince(s: string, now: number): string {
  const m = /^(\d+(?:\.\d+)?)\s*(m|h|d)$/.exec(s.trim());
  if (m) return new Date(now - Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd']).toISOString();
  const t = Date.parse(s);
  if (Number.isNaN(t)) throw new IntentOpsError('invalid_input', `cannot read ${JSON.stringify(s)} as a time`, { where: '--since', hint: 'give a duration such as 30m, 24h or 7d, or an ISO-8601 time such as 2025-01-31T00:00:00Z' });
  return new Date(t).toISOString();
}

/**
 * Every record of the period, oldest first, page by page (bounded memory). Pages continue from
 * the last record's time; records sharing that instant are read in one unpaged query, so a
 * page boundary inside one millisecond never loses or repeats a record.
 */
export async function* readPeriod(log: Pick<PredictionLog, 'query'>, q: PredictionQuery & { since: string; until: string }, pageSize = 10_000): AsyncGenerator<PredictionRecord> {
  let since = q.since;
  for (;;) {
    const page = await log.query({ ...q, since, limit: pageSize });
    if (page.length < pageSize) return yield* page;
    const last = page[page.length - 1].at;
    for (const r of page) if (r.at !== last) yield r;
    const instantEnd = new Date(Date.parse(last) + 1).toISOString();
    yield* await log.query({ ...q, since: last, until: instantEnd < q.until ? instantEnd : q.until });
    since = instantEnd;
    if (since >= q.until) return;
  }
}

/**
 * Recomputes the server's figures over a period of the prediction log against the model's
 * reference profile: the whole period is one window. OOV and centroid figures come from the
 * features the server recorded for its sampled messages.
 */
export async function monitorReport(req: MonitorReportRequest): Promise<MonitorReport> {
  const until = req.until ?? new Date().toISOString();
  if (!(req.since < until)) throw new IntentOpsError('invalid_input', `the period is empty: since ${req.since} is not before until ${until}`, { where: '--since', hint: 'choose a start before the end' });
  const profile = req.profile ?? (await profileOf(req.model, { maxExamples: req.profileExamples }));
  const identity = modelIdentity(req.model);
  // a bundle served from a directory is logged under its weights hash, a registry version under its number
  const versions = new Set([identity.version, req.model.manifest.classifier.weights.sha256.slice(0, 12)]);
  const labels = new Map(profile.labels.map((l, i) => [l, i]));
  const tally = new Tally(profile.labels.length);
  const baseline = new Float64Array(CONFIDENCE_BINS);
  let baselineN = 0;
  const other: Record<string, number> = {};
  const dayOf = dayFormatter(req.budget?.timeZone);
  const perDay = new Map<string, number>();
  const p95 = profile.distance?.p95 ?? Number.POSITIVE_INFINITY;
  const variant = req.variant ?? 'champion';
  for await (const r of readPeriod(req.log, { since: req.since, until, variant }, req.pageSize)) {
    if (!req.allVersions && !versions.has(r.model.version)) {
      const key = `${r.model.name}@${r.model.version}`;
      other[key] = (other[key] ?? 0) + 1;
      continue;
    }
    const cost = r.cached ? 0 : (r.llm?.costUsd ?? 0);
    tally.count(labels.get(r.intent) ?? -1, r.confidence, r.route, cost);
    if (!profile.confidence && baselineN < req.baselineSamples) {
      baseline[confidenceBin(r.confidence)]++;
      baselineN++;
    }
    if (r.features) tally.features(r.features.oovShare, r.features.centroidDistance, p95);
    if (cost > 0) perDay.set(dayOf(r.at), (perDay.get(dayOf(r.at)) ?? 0) + cost);
  }
  const figures = computeFigures(profile, tally, { since: Date.parse(req.since), until: Date.parse(until), baseline: baselineN >= req.baselineSamples ? baseline : undefined });
  const daily = req.budget?.dailyUsd ?? 0;
  return {
    model: identity,
    period: { since: figures.window.since, until: figures.window.until, variant },
    records: { used: tally.n, otherVersions: other },
    profile: describeProfile(profile),
    figures,
    alerts: evaluateAlerts(figures, req.thresholds, req.minSamples),
    llm: { costUsd: tally.costUsd, days: [...perDay].sort().map(([day, costUsd]) => ({ day, costUsd, share: daily > 0 ? costUsd / daily : null })) },
    settings: { minSamples: req.minSamples, labelMinSamples: minSamplesFor(profile.labels.length, req.minSamples), thresholds: req.thresholds },
  };
}

function dayFormatter(timeZone = 'UTC'): (iso: string) => string {
  let f: Intl.DateTimeFormat;
  try {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
  } catch (e) {
    throw new IntentOpsError('invalid_config', `unknown time zone ${JSON.stringify(timeZone)}`, { where: 'monitor.budget.timeZone', hint: 'an IANA name such as UTC or Europe/Berlin', cause: e });
  }
  return (iso) => f.format(Date.parse(iso));
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const num = (x: number, d = 3) => x.toFixed(d);

/** The report as a readable table (what `intentops monitor report` prints without --json). */
export function formatMonitorReport(r: MonitorReport): string {
  const f = r.figures;
  const t = r.settings.thresholds;
  const status = (kind: Alert['kind'], samples: number, needed: number) => {
    const a = r.alerts.filter((x) => x.kind === kind).sort((x, y) => (x.severity === 'alert' ? -1 : y.severity === 'alert' ? 1 : 0))[0];
    return a ? (a.severity === 'alert' ? 'ALERT' : 'warn') : samples < needed ? `n < ${needed}` : 'ok';
  };
  const rows: string[][] = [['figure', 'value', 'expected', 'warn / alert', 'status']];
  const n = f.window.samples;
  if (f.labels) {
    rows.push(['label PSI', num(f.labels.psi), '0', `${t.labelPsi.warn} / ${t.labelPsi.alert}`, status('label_psi', n, r.settings.labelMinSamples)]);
    rows.push(['label chi-square p', f.labels.chi2.pValue.toExponential(2), '', `< ${t.labelChi2P}`, status('label_chi2', n, r.settings.labelMinSamples)]);
  }
  if (f.confidence) rows.push([`confidence PSI (${f.confidence.reference})`, num(f.confidence.psi), '0', `${t.confidencePsi.warn} / ${t.confidencePsi.alert}`, status('confidence_psi', n, minSamplesFor(f.confidence.bins, r.settings.minSamples))]);
  else rows.push(['confidence PSI', '–', '', '', `no reference yet (${r.profile.confidenceReference})`]);
  if (f.routes) {
    const e = f.routes.expectedFallbackShare;
    rows.push(['llm + review share', pct(f.routes.fallbackShare), pct(e), `${pct(e + t.fallbackMargin.warn)} / ${pct(e + t.fallbackMargin.alert)}`, status('fallback_share', n, r.settings.minSamples)]);
    rows.push(['  accepted / llm / review', `${pct(f.routes.accepted)} / ${pct(f.routes.llm)} / ${pct(f.routes.review)}`, '', '', '']);
  }
  if (f.oov) rows.push(['OOV share (sampled)', pct(f.oov.share), pct(f.oov.expected), `${pct(f.oov.expected + t.oovMargin.warn)} / ${pct(f.oov.expected + t.oovMargin.alert)}`, status('oov_share', f.oov.samples, r.settings.minSamples)]);
  else rows.push(['OOV share', '–', '', '', 'no sampled features in the log']);
  if (f.centroid) rows.push(['centroid distance ratio', num(f.centroid.ratio, 2), '1.00', `${t.centroidRatio.warn} / ${t.centroidRatio.alert}`, status('centroid_distance', f.centroid.samples, r.settings.minSamples)]);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const table = rows.map((row) => row.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd());
  const others = Object.entries(r.records.otherVersions);
  const lines = [
    `monitor report: ${r.model.name} (version ${r.model.version}), ${r.period.variant}`,
    `period: ${r.period.since} → ${r.period.until}`,
    `records: ${n} used, ${f.window.sampled} with sampled features${others.length ? `; other versions left out: ${others.map(([v, c]) => `${v} (${c})`).join(', ')}` : ''}`,
    '',
    ...table,
    '',
    `LLM spend: $${r.llm.costUsd.toFixed(4)}${r.llm.days.map((d) => `\n  ${d.day}  $${d.costUsd.toFixed(4)}${d.share === null ? '' : `  ${pct(d.share)} of the daily budget`}`).join('')}`,
    '',
    r.alerts.length ? `alerts (${r.alerts.length}):` : 'alerts: none',
    ...r.alerts.map((a) => `  ${a.severity === 'alert' ? 'ALERT' : 'warn '} ${a.kind}: ${a.message}`),
  ];
  return lines.join('\n');
}
