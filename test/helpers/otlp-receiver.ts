import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/**
 * A small, real OTLP/HTTP trace receiver (`POST /v1/traces`, JSON encoding, optionally gzip):
 * what an OpenTelemetry collector does on that route, minus the forwarding. For tests, and for
 * looking at the spans a local server sends without running a collector. It decodes the
 * payload strictly by the OTLP JSON mapping (hex ids, AnyValue attributes, string or number
 * int64) and answers 400 to anything else, so an exporter sending a malformed or differently
 * encoded payload fails loudly instead of being half-read. Protobuf payloads get 415.
 *
 * @example
 *   const rx = await startOtlpReceiver();
 *   // OTEL_EXPORTER_OTLP_ENDPOINT=rx.url intentops serve …
 *   const [server] = await rx.waitFor((s) => s.some((x) => x.name === 'POST /v1/classify'));
 *   await rx.close();
 */

export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** Absent for a root span. */
  readonly parentSpanId?: string;
  readonly name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  readonly kind: number;
  readonly attributes: Readonly<Record<string, unknown>>;
  /** OTLP StatusCode: 0 unset, 1 ok, 2 error. */
  readonly status: { readonly code: number; readonly message?: string };
  readonly startTimeUnixNano: bigint;
  readonly endTimeUnixNano: bigint;
  readonly resource: Readonly<Record<string, unknown>>;
  readonly scope: string;
}

export interface ReceivedExport {
  readonly headers: IncomingHttpHeaders;
  /** The decoded JSON text of the request, exactly as sent (for "this never appears" checks). */
  readonly body: string;
}

export interface OtlpReceiver {
  /** Base URL for OTEL_EXPORTER_OTLP_ENDPOINT (`/v1/traces` is appended by the exporter). */
  readonly url: string;
  readonly spans: readonly ReceivedSpan[];
  readonly exports: readonly ReceivedExport[];
  /** Requests refused (bad path, content type, payload), with the reason: should stay empty. */
  readonly rejected: readonly string[];
  /** Resolves with all spans once `done(spans)` holds; rejects after `timeoutMs` (default 15 s). */
  waitFor(done: (spans: readonly ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<readonly ReceivedSpan[]>;
  close(): Promise<void>;
}

const HEX = (n: number) => new RegExp(`^[0-9a-f]{${n}}$`);
const TRACE_ID = HEX(32);
const SPAN_ID = HEX(16);

class Malformed extends Error {}

function fail(what: string): never {
  throw new Malformed(what);
}

/** OTLP AnyValue → JS value. */
function anyValue(v: Record<string, unknown>, where: string): unknown {
  if ('stringValue' in v) return v.stringValue;
  if ('boolValue' in v) return v.boolValue;
  if ('intValue' in v) {
    const n = v.intValue;
    if (typeof n === 'number' && Number.isInteger(n)) return n;
    if (typeof n === 'string' && /^-?\d+$/.test(n)) return Number(n);
    fail(`${where}: intValue ${JSON.stringify(n)} is not an integer`);
  }
  if ('doubleValue' in v) return Number(v.doubleValue);
  if ('arrayValue' in v) return ((v.arrayValue as { values?: Record<string, unknown>[] }).values ?? []).map((x, i) => anyValue(x, `${where}[${i}]`));
  if ('kvlistValue' in v) return attributes((v.kvlistValue as { values?: unknown }).values, where);
  if ('bytesValue' in v) return Buffer.from(String(v.bytesValue), 'base64');
  return fail(`${where}: unknown AnyValue ${JSON.stringify(v)}`);
}

function attributes(list: unknown, where: string): Record<string, unknown> {
  if (list === undefined) return {};
  if (!Array.isArray(list)) fail(`${where}: attributes is not a list`);
  const out: Record<string, unknown> = {};
  for (const kv of list as { key?: unknown; value?: Record<string, unknown> }[]) {
    if (typeof kv.key !== 'string' || !kv.value) fail(`${where}: attribute without key or value`);
    out[kv.key] = anyValue(kv.value, `${where}.${kv.key}`);
  }
  return out;
}

function nanos(v: unknown, where: string): bigint {
  if ((typeof v === 'string' && /^\d+$/.test(v)) || (typeof v === 'number' && Number.isInteger(v))) return BigInt(v);
  return fail(`${where}: ${JSON.stringify(v)} is not a uint64 nanosecond time`);
}

/** An ExportTraceServiceRequest (OTLP JSON) → flat spans. */
export function decodeTraces(json: unknown): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  const rss = (json as { resourceSpans?: unknown })?.resourceSpans;
  if (!Array.isArray(rss)) fail('resourceSpans is missing');
  for (const rs of rss as { resource?: { attributes?: unknown }; scopeSpans?: unknown[] }[]) {
    const resource = attributes(rs.resource?.attributes, 'resource');
    for (const ss of (rs.scopeSpans ?? []) as { scope?: { name?: string }; spans?: Record<string, unknown>[] }[]) {
      for (const s of ss.spans ?? []) {
        const name = typeof s.name === 'string' ? s.name : fail('span without a name');
        const traceId = String(s.traceId);
        const spanId = String(s.spanId);
        if (!TRACE_ID.test(traceId)) fail(`${name}: traceId ${JSON.stringify(s.traceId)} is not 32 lower-case hex digits`);
        if (!SPAN_ID.test(spanId)) fail(`${name}: spanId ${JSON.stringify(s.spanId)} is not 16 lower-case hex digits`);
        const parent = s.parentSpanId === undefined || s.parentSpanId === '' ? undefined : String(s.parentSpanId);
        if (parent !== undefined && !SPAN_ID.test(parent)) fail(`${name}: parentSpanId ${JSON.stringify(parent)} is not 16 hex digits`);
        const status = (s.status ?? {}) as { code?: number; message?: string };
        out.push({
          traceId,
          spanId,
          ...(parent === undefined ? {} : { parentSpanId: parent }),
          name,
          kind: Number(s.kind ?? 0),
          attributes: attributes(s.attributes, name),
          status: { code: Number(status.code ?? 0), ...(status.message ? { message: status.message } : {}) },
          startTimeUnixNano: nanos(s.startTimeUnixNano, `${name}.startTimeUnixNano`),
          endTimeUnixNano: nanos(s.endTimeUnixNano, `${name}.endTimeUnixNano`),
          resource,
          scope: ss.scope?.name ?? '',
        });
      }
    }
  }
  return out;
}

export async function startOtlpReceiver(o: { host?: string; port?: number } = {}): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const exports: ReceivedExport[] = [];
  const rejected: string[] = [];
  const waiters = new Set<() => void>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const refuse = (status: number, why: string) => {
        rejected.push(why);
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 3, message: why }));
      };
      if (req.method !== 'POST' || req.url !== '/v1/traces') return refuse(404, `${req.method} ${req.url}: only POST /v1/traces`);
      const type = (req.headers['content-type'] ?? '').split(';')[0].trim();
      if (type !== 'application/json') return refuse(415, `content type ${JSON.stringify(type)}: this receiver decodes the OTLP JSON encoding only`);
      let body: string;
      let decoded: ReceivedSpan[];
      try {
        const raw = Buffer.concat(chunks);
        body = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
        decoded = decodeTraces(JSON.parse(body));
      } catch (e) {
        return refuse(400, `bad payload: ${(e as Error).message}`);
      }
      exports.push({ headers: req.headers, body });
      spans.push(...decoded);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      for (const w of waiters) w();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${o.host ?? '127.0.0.1'}:${port}`,
    spans,
    exports,
    rejected,
    waitFor(done, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!done(spans)) return;
          cleanup();
          resolve(spans);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`spans not received within ${timeoutMs} ms; got: ${spans.map((s) => s.name).join(', ') || 'none'}${rejected.length ? `; rejected: ${rejected.join('; ')}` : ''}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
