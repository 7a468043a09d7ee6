import { SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';

/*
 * The light half of tracing: only @opentelemetry/api, imported by the request path. The SDK
 * (provider, exporter) lives in tracing.ts and is loaded only when an endpoint is configured.
 */

let on = false;
let cached: Tracer | undefined;

/**
 * The tracer every span of the app starts from: the registered provider's, or the API's no-op
 * tracer (spans are NonRecordingSpan, nothing is kept or sent). Looked up again after the
 * provider changes, so a tracer is never held past its provider's shutdown.
 */
export function tracer(): Tracer {
  return (cached ??= trace.getTracer('intentops'));
}

/**
 * True once initTracing registered a provider. The hottest paths (every request, every model
 * call) test this first and skip span work entirely when tracing is off; adapters, which may not
 * import the app layer, use the API's no-op tracer and `span.isRecording()` instead.
 */
export function tracingOn(): boolean {
  return on;
}

/** For tracing.ts only: flips the fast-path switch when the provider is registered / shut down. */
export function setTracingOn(value: boolean): void {
  on = value;
  cached = undefined;
}

/**
 * Marks a span failed. Only the error's code or class goes on the span, never its message:
 * messages can carry server-echoed text, and spans leave the process.
 */
export function failSpan(span: Span, e: unknown): void {
  const code = (e as { code?: unknown } | null)?.code;
  span.setAttribute('error.type', typeof code === 'string' ? code : ((e as Error | null)?.name ?? 'Error'));
  span.setStatus({ code: SpanStatusCode.ERROR });
}

/** `trace_id`, `span_id`, `trace_flags` of a span for a log line (the names OTel's log bridges use). */
export function traceLogFields(span: Span): { trace_id: string; span_id: string; trace_flags: string } {
  const sc = span.spanContext();
  return { trace_id: sc.traceId, span_id: sc.spanId, trace_flags: sc.traceFlags & 1 ? '01' : '00' };
}
