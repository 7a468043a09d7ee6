import { IntentOpsError } from '../../core/errors.js';
import type { FeedbackStore } from '../../ports/feedback-store.js';
import type { PredictionLog } from '../../ports/prediction-log.js';

const UNITS = Object.freeze({ s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const);

/**
 * `90m`, `24h`, `30d`, `2w` (also `45s`) → milliseconds; anything else is 'invalid_input' naming
 * `field` and showing the accepted forms.
 */
export function parseDuration(text: string, field: string): number {
  const m = /^\s*(\d+)\s*([smhdw])\s*$/i.exec(String(text));
  const ms = m ? Number(m[1]) * UNITS[m[2].toLowerCase() as keyof typeof UNITS] : NaN;
  if (!m || !Number.isSafeInteger(ms) || ms <= 0) {
    throw new IntentOpsError('invalid_input', `${JSON.stringify(text)} is not a duration`, { where: field, hint: 'write a positive whole number and a unit: 90m, 24h, 30d, 2w (units s, m, h, d, w)' });
  }
  return ms;
}

/**
 * `--since` for listings: a duration back from now (`24h`) or an ISO-8601 time
 * (`2025-01-31T00:00:00Z`, `2025-01-31`), as an ISO-8601 time.
 */
export function parseSince(text: string, field: string, now: number = Date.now()): string {
  if (/^\d{4}-\d{2}-\d{2}/.test(text.trim())) {
    const t = Date.parse(text);
    if (Number.isFinite(t)) return new Date(t).toISOString();
    throw new IntentOpsError('invalid_input', `${JSON.stringify(text)} is not a valid date`, { where: field, hint: 'e.g. 2025-01-31 or 2025-01-31T12:00:00Z, or a duration such as 24h' });
  }
  return new Date(now - parseDuration(text, field)).toISOString();
}

export interface PurgeRequest {
  readonly predictions?: Pick<PredictionLog, 'purge' | 'query' | 'count'>;
  readonly feedback?: Pick<FeedbackStore, 'purge' | 'list' | 'count'>;
  /** Records older than this many milliseconds go (events.retentionDays, or --older-than). */
  readonly olderThanMs: number;
  /** Count what would go, delete nothing. */
  readonly dryRun?: boolean;
  /** Milliseconds since the epoch. Default Date.now. */
  readonly now?: () => number;
}

export interface PurgeResult {
  /** The cut-off: records strictly older than this were (or would be) deleted. */
  readonly before: string;
  readonly dryRun: boolean;
  readonly predictions: number;
  readonly feedback: number;
}

/**
 * Retention: deletes predictions and feedback older than the retention period (or, with
 * `dryRun`, counts them). Run it from cron or a Kubernetes CronJob (`intentops purge`).
 *
 * @example
 *   const r = await purgeEvents({ predictions: log, feedback: store, olderThanMs: 30 * 86_400_000 });
 *   console.log(`deleted ${r.predictions} predictions and ${r.feedback} feedback records before ${r.before}`);
 */
export async function purgeEvents(req: PurgeRequest): Promise<PurgeResult> {
  if (!Number.isSafeInteger(req.olderThanMs) || req.olderThanMs <= 0) {
    throw new IntentOpsError('invalid_input', `the retention period must be a positive number of milliseconds, got ${req.olderThanMs}`, { where: 'olderThan' });
  }
  const before = new Date((req.now ?? Date.now)() - req.olderThanMs).toISOString();
  const dryRun = req.dryRun ?? false;
  const p = req.predictions;
  const f = req.feedback;
  if (dryRun) {
    const predictions = p ? await (p.count ? p.count({ until: before }) : p.query({ until: before }).then((xs) => xs.length)) : 0;
    const feedback = f ? await (f.count ? f.count({ until: before }) : f.list().then((xs) => xs.filter((x) => x.at < before).length)) : 0;
    return { before, dryRun, predictions, feedback };
  }
  // feedback first: a crash in between never leaves feedback pointing at a purged prediction
  const feedback = f ? await f.purge(before) : 0;
  const predictions = p ? await p.purge(before) : 0;
  return { before, dryRun, predictions, feedback };
}

/** One line for the CLI: what went (or would go). */
export function formatPurge(r: PurgeResult, olderThan: string): string {
  const what = `${r.predictions} prediction${r.predictions === 1 ? '' : 's'} and ${r.feedback} feedback record${r.feedback === 1 ? '' : 's'} older than ${olderThan} (before ${r.before})`;
  return r.dryRun ? `would delete ${what}; nothing was deleted (--dry-run)` : `deleted ${what}`;
}
