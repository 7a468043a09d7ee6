import { Hono } from 'hono';
import { DiscoverService, parseWindow } from '../../services/discover.js';
import type { HttpDeps } from '../deps.js';
import { HttpProblem } from '../problem.js';
import type { Env } from '../types.js';

/**
 * Clustering runs on the serving process's event loop: the HTTP listing is bounded lower than
 * the CLI's 5,000 (1,000 items cluster in a fraction of a second); `intentops discover` for more.
 */
export const HTTP_DISCOVER_MAX_ITEMS = 1000;

/**
 * GET /v1/discover: intent discovery over the open review queue, read-only (the verdicts are
 * `intentops discover accept|reject`, or labels through /v1/review). Query: since (7d), reason
 * (comma-separated), minSimilarity, minSize, maxItems (at most 1,000).
 */
export function discoverRoutes(d: HttpDeps): Hono<Env> {
  const r = new Hono<Env>();
  r.get('/v1/discover', async (c) => {
    if (!d.reviews) throw new HttpProblem(503, 'review-disabled', 'no review store is configured (review.uri is none): set review.uri, e.g. sqlite:./intentops.db');
    const q = c.req.query();
    const num = (name: string): number | undefined => {
      if (q[name] === undefined) return undefined;
      const n = Number(q[name]);
      if (q[name] === '' || !Number.isFinite(n)) throw new HttpProblem(400, 'invalid-query', `${name} must be a number, got ${JSON.stringify(q[name])}`);
      return n;
    };
    const maxItems = num('maxItems') ?? HTTP_DISCOVER_MAX_ITEMS;
    if (!(maxItems >= 1 && maxItems <= HTTP_DISCOVER_MAX_ITEMS)) throw new HttpProblem(400, 'invalid-query', `maxItems must be from 1 to ${HTTP_DISCOVER_MAX_ITEMS} here; \`intentops discover\` clusters up to 5,000`);
    const model = d.model();
    const service = new DiscoverService({ queue: d.reviews, embedder: model.embedder, labels: model.labels, ...(d.discover ? { namer: d.discover.namer, naming: d.discover.naming } : {}) });
    const report = await service.discover({
      windowMs: parseWindow(q.since ?? '7d'),
      reasons: q.reason ? q.reason.split(',').map((x) => x.trim()).filter(Boolean) : undefined,
      minSimilarity: num('minSimilarity'),
      minSize: num('minSize'),
      maxItems,
    });
    return c.json(report);
  });
  return r;
}
