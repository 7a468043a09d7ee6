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
    dailyUsd: isNum(b.budgetUsd) ? b.budgetUsd : isNum(b.dailyUsd) ? b.dailyUsd : undefined,
    share: isNum(b.share) ? b.share : undefined,
    capped: b.capped === true,
  };
}

const get = (o: unknown, path: string): unknown => path.split('.').reduce<unknown>((x, k) => (x && typeof x === 'object' ? (x as Record<string, unknown>)[k] : undefined), o);

/** The figures worth a glance, with what they are compared against. */
const SHOWN: readonly { name: string; path: string; ref?: string; note?: string }[] = [
  { name: 'messages in window', path: 'window.samples' },
  { name: 'label PSI', path: 'labels.psi', note: 'predicted labels vs training' },
  { name: 'label chi-square p', path: 'labels.chi2.pValue' },
  { name: 'confidence PSI', path: 'confidence.psi', note: 'vs held-out confidences' },
  { name: 'LLM + review share', path: 'routes.fallbackShare', ref: 'routes.expectedFallbackShare' },
  { name: 'unseen-token share', path: 'oov.share', ref: 'oov.expected' },
  { name: 'centroid distance ratio', path: 'centroid.ratio', note: 'vs training (1 = same)' },
];

export function toMonitorView(m: RawMonitor): MonitorView {
  const alerts = (Array.isArray(m.alerts) ? m.alerts : []) as Alert[];
  const f = m.figures ?? {};
  const figures = SHOWN.map((s) => {
    const v = get(f, s.path);
    const ref = s.ref ? get(f, s.ref) : undefined;
    return { name: s.name, value: isNum(v) ? v : undefined, note: isNum(ref) ? `expected ${ref.toFixed(3)}` : s.note };
  });
  const samples = get(f, 'window.samples');
  return { alerts, figures, samples: isNum(samples) ? samples : undefined };
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
