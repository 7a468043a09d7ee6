import { Hono } from 'hono';
import type { LlmBudget } from '../../services/budget.js';
import type { MonitorService } from '../../services/monitor.js';
import type { TrustView } from '../deps.js';
import { HttpProblem } from '../problem.js';
import type { Env } from '../types.js';

/**
 * `GET /v1/monitor`: the served model's monitoring window (figures against the reference
 * profile, the alerts they raise) and today's LLM budget. Per process: under `--workers N`
 * each worker answers for its own traffic (/metrics aggregates them). 503 while neither
 * monitoring nor a budget is configured, or while the profile of a just-loaded model is built.
 */
export function monitorRoutes(monitor: () => MonitorService | undefined, budget?: LlmBudget, trust?: () => TrustView): Hono<Env> {
  const r = new Hono<Env>();
  r.get('/v1/monitor', async (c) => {
    const m = monitor();
    if (!m && !budget && !trust) throw new HttpProblem(503, 'monitor-disabled', 'monitoring is off or still starting: set monitor.enabled: true (the profile of a newly loaded model takes about a second), or set a daily LLM budget', { headers: { 'retry-after': '5' } });
    const b = budget ? await budget.status() : null;
    const snapshot = m ? m.snapshot() : { model: null, profile: null, settings: null, figures: null, alerts: [] };
    const t = trust?.();
    return c.json({ ...snapshot, budget: b, precision: t?.precision ?? null, outOfScope: t?.outOfScope ?? null });
  });
  return r;
}
