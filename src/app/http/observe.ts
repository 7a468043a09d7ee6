import { performance } from 'node:perf_hooks';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span, type TextMapGetter } from '@opentelemetry/api';
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { Logger, ServiceMetrics } from '../telemetry/index.js';
import { failSpan, traceLogFields, tracer, tracingOn } from '../telemetry/trace.js';
import type { Env } from './types.js';

/** The registered route pattern (`/v1/review/:id/claim`), or `unmatched`: bounded label values. */
export function routeOf(c: Context): string {
  const routes = matchedRoutes(c);
  const last = routes[routes.length - 1];
  return last && !last.path.includes('*') ? last.path : 'unmatched';
}

/** Reads propagation headers (`traceparent`, `tracestate`, `baggage`) from the request. */
const headerGetter: TextMapGetter<Context> = {
  get: (c, key) => c.req.header(key),
  keys: (c) => Object.keys(c.req.header()),
};

/**
 * The HTTP server span, child of the caller's `traceparent` when one is sent. Named by method
 * only until the route is known (OTel HTTP conventions: `{method} {http.route}`).
 */
function startServerSpan(c: Context<Env>): { span: Span; ctx: ReturnType<typeof context.active> } {
  const parent = propagation.extract(ROOT_CONTEXT, c, headerGetter);
  const method = c.req.method;
  const ua = c.req.header('user-agent');
  const span = tracer().startSpan(
    method,
    {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': method,
        'url.path': c.req.path,
        'url.scheme': 'http',
        'intentops.request.id': c.get('requestId'),
        ...(ua === undefined ? {} : { 'user_agent.original': ua }),
      },
    },
    parent,
  );
  // W3C Trace Context level 2: the client learns the trace id (and whether it was recorded)
  const sc = span.spanContext();
  c.header('traceresponse', `00-${sc.traceId}-${sc.spanId}-0${sc.traceFlags & 1}`);
  return { span, ctx: trace.setSpan(parent, span) };
}

function endServerSpan(span: Span, method: string, route: string, status: number, principal: string | undefined, model: string): void {
  if (span.isRecording()) {
    if (route !== 'unmatched') {
      span.updateName(`${method} ${route}`);
      span.setAttribute('http.route', route);
    }
    span.setAttribute('http.response.status_code', status);
    span.setAttribute('intentops.model.version', model);
    if (principal !== undefined) span.setAttribute('intentops.principal', principal);
    // server spans: 4xx is the client's doing, not an error of this service
    if (status >= 500) {
      span.setAttribute('error.type', String(status));
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
  }
  span.end();
}

/**
 * One log line and one metrics observation per request: request id, method, route pattern,
 * status, latency, API key name and model version (and trace_id/span_id when tracing is on).
 * Never the body, the query or headers: texts and keys stay out of the log (texts are opt-in via
 * logging.texts, logged by the route). When tracing is on, also the request's server span: the
 * handlers run inside its context, so the model, LLM and store spans become its children.
 */
export function observe(metrics: ServiceMetrics, log: Logger, modelVersion: () => string): MiddlewareHandler<Env> {
  return async (c, next) => {
    const t0 = performance.now();
    const traced = tracingOn() ? startServerSpan(c) : undefined;
    if (traced) {
      try {
        await context.with(traced.ctx, next);
      } catch (e) {
        // Hono's onError answers handler errors; this is a failure outside it
        failSpan(traced.span, e);
        traced.span.end();
        throw e;
      }
    } else {
      await next();
    }
    const seconds = (performance.now() - t0) / 1000;
    const route = routeOf(c);
    const status = c.res.status;
    metrics.observeHttp(c.req.method, route, status, seconds);
    const model = modelVersion();
    const principal = c.get('principal');
    const fields: Record<string, unknown> = { requestId: c.get('requestId'), method: c.req.method, route, status, ms: Math.round(seconds * 1e4) / 10, principal, model };
    if (traced) {
      Object.assign(fields, traceLogFields(traced.span));
      endServerSpan(traced.span, c.req.method, route, status, principal, model);
    }
    if (status >= 500) log.error(fields, 'request failed');
    else if (route === '/healthz' || route === '/readyz' || route === '/metrics') log.debug(fields, 'request');
    else log.info(fields, 'request');
  };
}
