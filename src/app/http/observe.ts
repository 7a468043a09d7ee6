import { performance } from 'node:perf_hooks';
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { Logger, ServiceMetrics } from '../telemetry/index.js';
import type { Env } from './types.js';

/** The registered route pattern (`/v1/review/:id/claim`), or `unmatched`: bounded label values. */
export function routeOf(c: Context): string {
  const routes = matchedRoutes(c);
  const last = routes[routes.length - 1];
  return last && !last.path.includes('*') ? last.path : 'unmatched';
}

/**
 * One log line and one metrics observation per request: request id, method, route pattern,
 * status, latency, API key name and model version. Never the body, the query or headers: texts
 * and keys stay out of the log (texts are opt-in via logging.texts, logged by the route).
 */
export function observe(metrics: ServiceMetrics, log: Logger, modelVersion: () => string): MiddlewareHandler<Env> {
  return async (c, next) => {
    const t0 = performance.now();
    await next();
    const seconds = (performance.now() - t0) / 1000;
    const route = routeOf(c);
    const status = c.res.status;
    metrics.observeHttp(c.req.method, route, status, seconds);
    const fields = {
      requestId: c.get('requestId'),
      method: c.req.method,
      route,
      status,
      ms: Math.round(seconds * 1e4) / 10,
      principal: c.get('principal'),
      model: modelVersion(),
    };
    if (status >= 500) log.error(fields, 'request failed');
    else if (route === '/healthz' || route === '/readyz' || route === '/metrics') log.debug(fields, 'request');
    else log.info(fields, 'request');
  };
}
