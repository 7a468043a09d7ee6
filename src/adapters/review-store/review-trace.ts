import { SpanKind, SpanStatusCode, trace, type Span, type SpanOptions } from '@opentelemetry/api';
import { IntentOpsError } from '../../core/errors.js';

/** Span options of the writes (OTel database conventions): the table and operation, never a value. */
const spanOf = (operation: string): SpanOptions =>
  Object.freeze({ kind: SpanKind.CLIENT, attributes: Object.freeze({ 'db.system': 'sqlite', 'db.system.name': 'sqlite', 'db.collection.name': 'review_items', 'db.operation.name': operation }) });
const SPANS = Object.freeze({ add: spanOf('INSERT'), claim: spanOf('UPDATE'), resolve: spanOf('UPDATE') });

/** Failures carry the error code only: a refused claim is tagged, an unreachable or broken database also marks the span failed. */
function failed(span: Span, e: unknown): void {
  const code = e instanceof IntentOpsError ? e.code : 'internal';
  span.setAttribute('error.type', code);
  if (code === 'unavailable' || code === 'internal' || code === 'corrupt') span.setStatus({ code: SpanStatusCode.ERROR });
}

/**
 * Runs one SQLite review write inside a `review.<op>` span (a child of the request's span when
 * tracing is on; the API's no-op otherwise). `fn` may return a value or a promise (the store on
 * its own thread): the span ends when the write has.
 */
export function traced<T>(op: keyof typeof SPANS, fn: () => T): T {
  const span = trace.getTracer('intentops').startSpan(`review.${op}`, SPANS[op]);
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
