import { SpanKind, SpanStatusCode, trace, type Attributes, type Span, type SpanOptions } from '@opentelemetry/api';
import { IntentOpsError } from '../../core/errors.js';

/*
 * The `review.<op>` client spans of the review writes (OTel database conventions): where and
 * which operation, never a value.
 */

export type WriteOp = 'add' | 'claim' | 'resolve';
const OPERATION: Readonly<Record<WriteOp, string>> = Object.freeze({ add: 'INSERT', claim: 'UPDATE', resolve: 'UPDATE' });

/** Span options of one store's writes: `where` are its database attributes (system, namespace, table, server). */
export type WriteSpans = Readonly<Record<WriteOp, SpanOptions>>;

export function writeSpans(where: Attributes): WriteSpans {
  const of = (op: WriteOp): SpanOptions => Object.freeze({ kind: SpanKind.CLIENT, attributes: Object.freeze({ ...where, 'db.operation.name': OPERATION[op] }) });
  return Object.freeze({ add: of('add'), claim: of('claim'), resolve: of('resolve') });
}

/** The SQLite store's spans (the store thread's calls are traced on the calling thread with these). */
export const SQLITE_SPANS = writeSpans({ 'db.system': 'sqlite', 'db.system.name': 'sqlite', 'db.collection.name': 'review_items' });

/** The attributes every span of a PostgreSQL store carries: `where` is its URL (password masked). */
export function postgresSpans(where: string, table: string): WriteSpans {
  const url = new URL(where);
  return writeSpans({
    'db.system': 'postgresql',
    'db.system.name': 'postgresql',
    'db.namespace': url.pathname.slice(1),
    'db.collection.name': table,
    // a unix-socket URI (postgres:///db?host=/run/postgresql) names no host
    ...(url.hostname ? { 'server.address': url.hostname, 'server.port': Number(url.port) || 5432 } : {}),
  });
}

/** Failures carry the error code only: a refused claim is tagged, an unreachable or broken database also marks the span failed. */
function failed(span: Span, e: unknown): void {
  const code = e instanceof IntentOpsError ? e.code : 'internal';
  span.setAttribute('error.type', code);
  if (code === 'unavailable' || code === 'internal' || code === 'corrupt') span.setStatus({ code: SpanStatusCode.ERROR });
}

/**
 * Runs one review write inside a `review.<op>` span (a child of the request's span when tracing
 * is on; the API's no-op otherwise). `fn` may return a value or a promise: the span ends when the
 * write has.
 */
export function traced<T>(op: WriteOp, fn: () => T, spans: WriteSpans = SQLITE_SPANS): T {
  const span = trace.getTracer('intentops').startSpan(`review.${op}`, spans[op]);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    failed(span, e);
    span.end();
    throw e;
  }
  if (result instanceof Promise) {
    return result.then(
      (v: unknown) => {
        span.end();
        return v;
      },
      (e: unknown) => {
        failed(span, e);
        span.end();
        throw e;
      },
    ) as T;
  }
  span.end();
  return result;
}
