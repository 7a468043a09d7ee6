import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
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

const NOT_AN_ID = /[^\w\-=]/;

/**
 * The request id (hono's requestId middleware, same rule): the client's `X-Request-Id` when it is
 * at most `limitLength` characters of letters, digits, `_`, `-` and `=`, else a random UUID; in
 * `c.var.requestId` and the answer's `X-Request-Id` header. On a real socket the header is set on
 * the Node response, so an answer with no other header of its own needs no Headers object (one
 * built, filled and copied for every answer was ~3 % of the serving thread).
 */
export function requestIds(limitLength = 128): MiddlewareHandler<Env> {
  return async (c, next) => {
    let id = c.req.header('x-request-id');
    if (!id || id.length > limitLength || NOT_AN_ID.test(id)) id = randomUUID();
    c.set('requestId', id);
    const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
    if (outgoing && typeof outgoing.setHeader === 'function' && !outgoing.headersSent) outgoing.setHeader('x-request-id', id);
    else c.header('X-Request-Id', id);
    await next();
  };
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
 * Counts of the requests answered, logged once per period (at info) instead of a line per request;
 * the timer runs only while requests come (a quiet period stops it, the next request restarts it).
 */
export class TrafficSummary {
  private n = 0;
  private readonly byClass = [0, 0, 0, 0, 0, 0];
  private timer: ReturnType<typeof setInterval> | undefined;
  private since = Date.now();

  constructor(
    private readonly log: Logger,
    private readonly periodMs: number,
  ) {}

  count(status: number): void {
    if (this.periodMs <= 0) return;
    this.n++;
    this.byClass[Math.min(5, Math.floor(status / 100))]++;
    if (!this.timer) {
      this.since = Date.now();
      this.timer = setInterval(() => this.flush(), this.periodMs);
      this.timer.unref();
    }
  }

  flush(): void {
    if (this.n === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    const seconds = Math.max(0.001, (Date.now() - this.since) / 1000);
    const [, , ok, redirect, client, server] = this.byClass;
    this.log.info({ requests: this.n, perSecond: Math.round((10 * this.n) / seconds) / 10, '2xx': ok, '3xx': redirect, '4xx': client, '5xx': server, seconds: Math.round(seconds) }, 'traffic');
    this.n = 0;
    this.byClass.fill(0);
    this.since = Date.now();
  }
}

export interface ObserveOptions {
  /** Share of requests logged at info; the others at debug. Default 0. */
  readonly sampleRate?: number;
  /** Period of the traffic-count line in seconds (0 = none). Default 60. */
  readonly summarySeconds?: number;
  readonly random?: () => number;
}

const QUIET = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * One metrics observation per request, and its log line: request id, method, route pattern,
 * status, latency, API key name and model version (and trace_id/span_id when tracing is on).
 * A 5xx is always logged (error); other requests at debug, except a sampled share
 * (`sampleRate`) at info, so a busy server does not write a line per request: traffic counts are
 * logged once per `summarySeconds` instead. Never the body, the query or headers: texts and
 * keys stay out of the log (texts are opt-in via logging.texts, logged by the route). When
 * tracing is on, also the request's server span: the handlers run inside its context, so the
 * model, LLM and store spans become its children.
 */
export function observe(metrics: ServiceMetrics, log: Logger, modelVersion: () => string, o: ObserveOptions = {}): MiddlewareHandler<Env> {
  const sampleRate = o.sampleRate ?? 0;
  const random = o.random ?? Math.random;
  const summary = new TrafficSummary(log, (o.summarySeconds ?? 60) * 1000);
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
    summary.count(status);
    const level = status >= 500 ? 'error' : sampleRate > 0 && !QUIET.has(route) && random() < sampleRate ? 'info' : 'debug';
    if (!traced && !log.isLevelEnabled(level)) return;
    const model = modelVersion();
    const principal = c.get('principal');
    const fields: Record<string, unknown> = { requestId: c.get('requestId'), method: c.req.method, route, status, ms: Math.round(seconds * 1e4) / 10, principal, model };
    if (traced) {
      Object.assign(fields, traceLogFields(traced.span));
      endServerSpan(traced.span, c.req.method, route, status, principal, model);
    }
    if (level === 'error') log.error(fields, 'request failed');
    else if (level === 'info') log.info(fields, 'request');
    else log.debug(fields, 'request');
  };
}
