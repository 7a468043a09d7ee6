import { Hono } from 'hono';
import { readJson } from '../body.js';
import { limitBody } from '../limit.js';
import { clientSubject } from './rollout.js';
import type { HttpDeps } from '../deps.js';
import { HttpProblem } from '../problem.js';
import { plainClassifyBody, type RequestSchemas } from '../schemas.js';
import type { Env } from '../types.js';

/** `POST /v1/classify` and `POST /v1/classify/batch`: parse, call ClassifyService, answer. */
export function classifyRoutes(d: HttpDeps, s: RequestSchemas): Hono<Env> {
  const r = new Hono<Env>();
  const { settings } = d;
  const plain = plainClassifyBody(settings);

  r.post('/v1/classify', limitBody(settings.bodyLimitBytes, 'server.bodyLimitBytes'), async (c) => {
    const body = await readJson(c, s.classify, { fast: plain });
    const requestId = c.get('requestId');
    if (settings.logTexts) d.log.info({ requestId, text: body.text }, 'classify text');
    const result = await d.classify.classify({ text: body.text, id: body.id, requestId, subject: clientSubject(c, settings.apiKeys.length > 0) });
    return c.json(body.metadata ? { ...result, metadata: body.metadata } : result);
  });

  r.post('/v1/classify/batch', limitBody(settings.batchBodyLimitBytes, 'server.batchBodyLimitBytes'), async (c) => {
    const body = await readJson(c, s.batch, {
      precheck: (json) => {
        const items = (json as { items?: unknown } | null)?.items;
        if (Array.isArray(items) && items.length > settings.maxBatch) {
          throw new HttpProblem(413, 'batch-too-large', `the batch has ${items.length} items; the limit is ${settings.maxBatch} (server.maxBatch): split it into smaller batches`);
        }
      },
    });
    const requestId = c.get('requestId');
    if (settings.logTexts) d.log.info({ requestId, texts: body.items.map((i) => i.text) }, 'classify texts');
    const subject = clientSubject(c, settings.apiKeys.length > 0);
    const results = await d.classify.classifyBatch(body.items.map((i) => ({ text: i.text, id: i.id, requestId, subject })));
    return c.json({ items: results.map((res, i) => (body.items[i].metadata ? { ...res, metadata: body.items[i].metadata } : res)) });
  });

  return r;
}
