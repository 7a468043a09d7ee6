import { Hono } from 'hono';
import { z } from 'zod';
import type { TrackingStore } from '../../../ports/tracking-store.js';
import { parse } from '../body.js';
import { HttpProblem } from '../problem.js';
import type { Env } from '../types.js';

const Query = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  name: z.string().min(1).max(200).optional(),
  before: z.string().min(1).max(100).optional(),
});

/** `GET /v1/runs`: recent tracked runs (training and evaluation figures), newest first. */
export function runsRoutes(tracking: () => TrackingStore | undefined): Hono<Env> {
  const r = new Hono<Env>();
  r.get('/v1/runs', async (c) => {
    const store = tracking();
    if (!store) throw new HttpProblem(503, 'tracking-disabled', 'no tracking store is configured (tracking.uri is none): set tracking.uri, e.g. sqlite:./intentops.db');
    const q = parse(Query, c.req.query(), 'query');
    const runs = await store.listRuns({ limit: q.limit, name: q.name, before: q.before });
    return c.json({
      runs: runs.map((run) => ({ id: run.id, name: run.name, status: run.status, startedAt: run.createdAt, finishedAt: run.finishedAt, error: run.error, metrics: run.metrics, bundle: run.bundle, tags: run.tags })),
    });
  });
  return r;
}
