import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { context, diag, DiagLogLevel, propagation, trace, type DiagLogger } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { maskUri } from '../../core/uri.js';
import { IntentOpsError } from '../../core/errors.js';
import type { Config } from '../config.js';
import type { Logger } from './logger.js';
import { setTracingOn, tracingOn } from './trace.js';

/**
 * OpenTelemetry traces: one server span per request with child spans for the model stages, the
 * LLM call and review-store writes (started where the work happens, from `tracer()` in
 * trace.ts), exported in batches over OTLP/HTTP. Any OpenTelemetry collector accepts OTLP, and
 * so does Azure Monitor / Application Insights through its OTLP ingestion (the Azure Monitor
 * OpenTelemetry collector or agent).
 *
 * Off unless an endpoint is configured: then no provider is registered, the SDK is never loaded,
 * the API's tracer is a no-op and the request path skips span work on one boolean.
 *
 * Sampling: parent-based trace-id ratio. A caller's `traceparent` decision is always followed
 * (a distributed trace is never cut in the middle); new traces are kept with probability
 * `sampleRatio`, 1 by default: whoever sets an endpoint expects to see every request, and lowers
 * the ratio (telemetry.sampleRatio, OTEL_TRACES_SAMPLER_ARG) when the span volume or the
 * backend's bill asks for it. The ratio is decided from the trace id, so every service that
 * samples by ratio keeps or drops the same traces.
 *
 * @example
 *   const tracing = await initTracing(config, log, { version: '1.2.0', modelRef: 'models:/intents@champion' });
 *   // ... serve ...
 *   await tracing.shutdown(); // flushes the spans still queued
 */

export interface Tracing {
  /** True when a provider is registered and spans are exported. */
  readonly enabled: boolean;
  /** Flushes queued spans (bounded wait) and unregisters the provider. Safe to call twice. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** The service version (package.json): resource attribute `service.version`. */
  readonly version?: string;
  /** What the process was told to serve (`--model`): resource attribute `intentops.model.ref`. */
  readonly modelRef?: string;
  /** How long shutdown waits for the last export. Default 5 s. */
  readonly shutdownTimeoutMs?: number;
}

/** Where and how spans are exported, resolved from config. */
export interface ExportSettings {
  readonly exporter: ExporterName;
  /** The full traces URL (OTLP: `<endpoint>/v1/traces`). */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly serviceName: string;
  readonly sampleRatio: number;
}

interface ExporterChoice {
  readonly description: string;
  create(s: ExportSettings): Promise<SpanExporter>;
}

/**
 * The span exporters, loaded lazily. OTLP/HTTP sends JSON (this exporter's encoding), which
 * every OTLP receiver must accept.
 */
const EXPORTERS = Object.freeze({
  otlp: {
    description: 'OTLP/HTTP (JSON) to an OpenTelemetry collector, Azure Monitor OTLP ingestion, Jaeger, Tempo, Honeycomb, …',
    async create(s) {
      const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
      return new OTLPTraceExporter({ url: s.url, headers: { ...s.headers } });
    },
  },
} satisfies Record<string, ExporterChoice>);

export type ExporterName = keyof typeof EXPORTERS;

/**
 * The export settings for `t`, or undefined when nothing is configured (tracing off).
 * `tracesEndpoint` is used as is; `endpoint` gets `/v1/traces` appended, as the OTel spec says
 * for OTEL_EXPORTER_OTLP_ENDPOINT.
 */
export function exportSettings(t: Config['telemetry']): ExportSettings | undefined {
  const { endpoint, tracesEndpoint, headers } = t.otlp;
  const url = tracesEndpoint ?? (endpoint === undefined ? undefined : `${endpoint.replace(/\/+$/, '')}/v1/traces`);
  if (url === undefined) return undefined;
  return { exporter: 'otlp', url, headers, serviceName: t.serviceName, sampleRatio: t.sampleRatio };
}

const OFF: Tracing = Object.freeze({ enabled: false, shutdown: async () => undefined });

/** OpenTelemetry's own warnings and errors (failed exports, dropped spans) into the service log. */
function diagToLog(log: Logger): DiagLogger {
  const warn = (msg: string, ...args: unknown[]) => log.warn({ otel: args.map((a) => (a instanceof Error ? a.message : String(a))).join(' ') || undefined }, `opentelemetry: ${msg}`);
  const quiet = () => undefined;
  return { error: warn, warn, info: quiet, debug: quiet, verbose: quiet };
}

/**
 * Registers the tracer provider when `config.telemetry` names an endpoint; otherwise does
 * nothing and returns a Tracing whose shutdown is a no-op. Call before serving requests.
 */
export async function initTracing(config: Config, log: Logger, o: TracingOptions = {}): Promise<Tracing> {
  const s = exportSettings(config.telemetry);
  if (!s) {
    log.debug('tracing off (set telemetry.otlp.endpoint or OTEL_EXPORTER_OTLP_ENDPOINT to export spans)');
    return OFF;
  }
  if (tracingOn()) throw new IntentOpsError('internal', 'tracing is already initialised in this process', { where: 'initTracing', hint: 'call tracing.shutdown() before initialising it again' });
  const [sdk, res] = await Promise.all([import('@opentelemetry/sdk-trace-node'), import('@opentelemetry/resources')]);
  const exporter = await EXPORTERS[s.exporter].create(s);
  // OTEL_RESOURCE_ATTRIBUTES (e.g. deployment.environment.name) under ours; the service name is ours (config / OTEL_SERVICE_NAME)
  const resource = res
    .defaultResource()
    .merge(res.detectResources({ detectors: [res.envDetector, res.hostDetector] }))
    .merge(
      res.resourceFromAttributes({
        'service.name': s.serviceName,
        'service.instance.id': randomUUID(),
        'process.pid': process.pid,
        ...(o.version === undefined ? {} : { 'service.version': o.version }),
        ...(o.modelRef === undefined ? {} : { 'intentops.model.ref': o.modelRef }),
      }),
    );
  const provider = new sdk.NodeTracerProvider({
    resource,
    sampler: new sdk.ParentBasedSampler({ root: new sdk.TraceIdRatioBasedSampler(s.sampleRatio) }),
    // queue size, batch size and delay: OTEL_BSP_* (defaults 2048 spans, 512 per export, 5 s)
    spanProcessors: [new sdk.BatchSpanProcessor(exporter)],
  });
  diag.setLogger(diagToLog(log), { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  // the AsyncLocalStorage context manager (spans follow awaits) and the W3C traceparent/baggage propagators
  provider.register();
  setTracingOn(true);
  log.info({ exporter: s.exporter, url: maskUri(s.url), serviceName: s.serviceName, sampleRatio: s.sampleRatio }, 'tracing on: exporting spans');

  let stopping: Promise<void> | undefined;
  const shutdown = async (): Promise<void> => {
    setTracingOn(false);
    const timeoutMs = o.shutdownTimeoutMs ?? 5000;
    const done = await Promise.race([provider.shutdown().then(() => true, () => true), delay(timeoutMs, false, { ref: false })]);
    if (!done) log.warn({ timeoutMs, url: maskUri(s.url) }, 'tracing: the last spans were not exported before the shutdown deadline');
    trace.disable();
    context.disable();
    propagation.disable();
    diag.disable();
  };
  return { enabled: true, shutdown: () => (stopping ??= shutdown()) };
}
