import { Hono } from 'hono';
import type { ReviewService } from '../../services/review.js';
import { parse, readJson } from '../body.js';
import type { HttpDeps } from '../deps.js';
import { limitBody } from '../limit.js';
import { HttpProblem } from '../problem.js';
import type { RequestSchemas } from '../schemas.js';
import type { Env } from '../types.js';

/**
 * The review queue: list (open and claimed items highest priority first, with why), claim the
 * next or a given item, label, skip. The reviewer is the API key's name (`anonymous`
 * when auth is off). Without a review store configured (review.uri: none) every route is 503.
 */
export function reviewRoutes(d: HttpDeps, s: RequestSchemas): Hono<Env> {
  const r = new Hono<Env>();
  const limit = limitBody(d.settings.bodyLimitBytes, 'server.bodyLimitBytes');
  const service = (): ReviewService => {
    if (!d.reviews) throw new HttpProblem(503, 'review-disabled', 'no review store is configured (review.uri is none): set review.uri, e.g. sqlite:./intentops.db');
    return d.reviews;
  };

  r.get('/v1/review', async (c) => {
    const q = parse(s.reviewQuery, c.req.query(), 'query');
    const [items, open] = await Promise.all([service().list(q), service().openCount()]);
    // a cursor pages the created order only (the priority order moves as messages arrive)
    const paged = (q.order ?? (q.after === undefined && (q.state === 'open' || q.state === 'claimed') ? 'priority' : 'created')) === 'created';
    return c.json(paged && items.length === q.limit ? { items, next: items[items.length - 1].id, open } : { items, open });
  });

  r.post('/v1/review/claim-next', limit, async (c) => {
    await readJson(c, s.empty, { optional: true });
    const item = await service().claimNext(c.get('principal'));
    return item ? c.json(item) : c.body(null, 204);
  });

  r.post('/v1/review/:id/claim', limit, async (c) => {
    await readJson(c, s.empty, { optional: true });
    return c.json(await service().claim(c.req.param('id'), c.get('principal')));
  });

  r.post('/v1/review/:id/label', limit, async (c) => {
    const body = await readJson(c, s.label);
    return c.json(await service().label(c.req.param('id'), c.get('principal'), body.label, { newIntent: body.newIntent === true }));
  });

  r.post('/v1/review/:id/skip', limit, async (c) => {
    await readJson(c, s.empty, { optional: true });
    return c.json(await service().skip(c.req.param('id'), c.get('principal')));
  });

  return r;
}
