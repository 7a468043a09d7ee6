import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { modelIdentity } from '../classify/service.js';
import { apiKeyAuth, rateLimit } from './auth.js';
import type { HttpDeps } from './deps.js';
import { observe, requestIds } from './observe.js';
import { buildOpenApi } from './openapi.js';
import { HttpProblem, problemResponse, toProblem } from './problem.js';
import { classifyRoutes, dashboardFeatures, dashboardRoutes, discoverRoutes, docsRoutes, feedbackRoutes, modelRoutes, monitorRoutes, opsRoutes, reviewRoutes, rolloutRoutes, runsRoutes } from './routes/index.js';
import { requestSchemas } from './schemas.js';
import type { Env } from './types.js';

/**
 * The HTTP API as a Hono app; no socket (tests call `app.request()`, `listen()` serves it).
 * Order: request id → log/metrics → CORS → (under /v1) API key → rate limit → route.
 *
 * @example
 *   const app = createApp(deps);
 *   const res = await app.request('/v1/classify', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"where is my parcel"}' });
 */
export function createApp(d: HttpDeps, o: { version?: string } = {}): Hono<Env> {
  const app = new Hono<Env>();
  const s = requestSchemas(d.settings);
  let openapi: Record<string, unknown> | undefined;

  app.use(requestIds(128));
  app.use(observe(d.metrics, d.log, () => modelIdentity(d.model()).version, { sampleRate: d.settings.requestSampleRate, summarySeconds: d.settings.summarySeconds }));
  if (d.settings.cors.length) {
    app.use(cors({ origin: [...d.settings.cors], allowHeaders: ['authorization', 'x-api-key', 'content-type', 'x-request-id', 'x-client-id', 'traceparent', 'tracestate'], exposeHeaders: ['x-request-id', 'retry-after', 'ratelimit-remaining', 'traceresponse'], maxAge: 600 }));
  }
  app.use('/v1/*', apiKeyAuth(d.settings.apiKeys, d.settings.authFailures, d.log));
  if (d.limiter) app.use('/v1/*', rateLimit(d.limiter, d.log));

  app.route('/', classifyRoutes(d, s));
  app.route('/', modelRoutes(d));
  app.route('/', reviewRoutes(d, s));
  app.route('/', discoverRoutes(d));
  app.route('/', feedbackRoutes(d));
  app.route('/', monitorRoutes(() => d.monitor?.(), d.budget, d.trust));
  app.route('/', runsRoutes(() => d.tracking));
  app.route('/', rolloutRoutes(d));
  app.route('/', opsRoutes(d, () => (openapi ??= buildOpenApi(s, { version: o.version ?? '0.0.0', authEnabled: d.settings.apiKeys.length > 0 }))));
  app.route('/', docsRoutes());
  app.route('/', dashboardRoutes(undefined, dashboardFeatures(d)));

  app.notFound((c) => problemResponse(c, new HttpProblem(404, 'not-found', `no route for ${c.req.method} ${new URL(c.req.url).pathname}: see /openapi.json or /docs`)));
  app.onError((e, c) => {
    const p = toProblem(e);
    if (p.status >= 500 && p.slug === 'internal') d.log.error({ requestId: c.get('requestId'), err: e }, 'unhandled error');
    return problemResponse(c, p);
  });
  return app;
}
