import type { Budget } from './panels/Cost.js';
import type { Alert, MonitorView } from './panels/Drift.js';
import type { ModelsView } from './panels/Models.js';

/* The server's /v1/monitor and /v1/rollout answers, mapped onto what the panels show. */

export type RawMonitor = Record<string, unknown>;
export type RawRollout = Record<string, unknown>;

const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

export function toBudget(m: RawMonitor): Budget | undefined {
  const b = m.budget as Record<string, unknown> | undefined;
  if (!b) return undefined;
  return {
    spentTodayUsd: isNum(b.spentTodayUsd) ? b.spentTodayUsd : isNum(b.spentUsd) ? b.spentUsd : undefined,
    dailyUsd: isNum(b.dailyUsd) ? b.dailyUsd : undefined,
    share: isNum(b.share) ? b.share : undefined,
    capped: b.capped === true,
  };
}

export function toMonitorView(m: RawMonitor): MonitorView {
  const alerts = (Array.isArray(m.alerts) ? m.alerts : []) as Alert[];
  const figures: MonitorView['figures'][number][] = [];
  const walk = (o: unknown, prefix: string) => {
    if (!o || typeof o !== 'object') return;
    for (const [k, v] of Object.entries(o as Record<string, unknown>)) {
      const name = prefix ? `${prefix}.${k}` : k;
      if (isNum(v)) figures.push({ name, value: v });
      else if (v && typeof v === 'object' && !Array.isArray(v) && prefix.split('.').length < 2) walk(v, name);
    }
  };
  walk(m.figures ?? m.drift ?? {}, '');
  return { alerts, figures, samples: isNum(m.samples) ? m.samples : undefined };
}

export function toRollout(r: RawRollout): ModelsView['rollout'] {
  const ver = (x: unknown): string | undefined => (x && typeof x === 'object' && 'version' in x ? String((x as { version: unknown }).version) : x === undefined || x === null ? undefined : String(x));
  const ab = r.ab as Record<string, unknown> | undefined;
  return {
    mode: String(r.mode ?? 'off'),
    share: isNum(r.share) ? r.share : undefined,
    champion: ver(r.champion),
    challenger: ver(r.challenger),
    recommendation: ab && typeof ab.recommendation === 'string' ? ab.recommendation : undefined,
    detail: ab && typeof ab.reason === 'string' ? ab.reason : undefined,
  };
}
