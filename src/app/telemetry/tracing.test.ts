import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { context, trace } from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CONFIDENT, testServing, UNSURE, type TestServing } from '../../../test/helpers/serving.js';
import { tempDir } from '../../../test/helpers/sample.js';
import { loadConfig } from '../config.js';
import { startFakeLlm } from '../dev/fake-llm-server.js';
import { createLogger } from './logger.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../../../test/helpers/otlp-receiver.js';
import { openPostgresReviewStore } from '../../adapters/review-store/index.js';
import { dropPgTables, PG_URL, requirePostgres, uniqueId } from '../../../test/helpers/real-services.js';
import { tracer, tracingOn } from './trace.js';
import { exportSettings, initTracing, type Tracing } from './tracing.js';

const silent = createLogger({ level: 'silent' });

describe('tracing configuration', () => {
  it('is off by default: no endpoint, nothing to export', () => {
    const c = loadConfig({ env: {} });
    expect(c.telemetry).toEqual({ otlp: { headers: {} }, serviceName: 'intentops', sampleRatio: 1 });
    expect(exportSettings(c.telemetry)).toBeUndefined();
  });

  it('reads the standard OTEL_* variables: endpoint (+ /v1/traces), headers k=v,k2=v2 percent-decoded, service name, sampler ratio', () => {
    const c = loadConfig({
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
        OTEL_EXPORTER_OTLP_HEADERS: 'api-key=s3cr%3Dt, x-tenant = acme%20corp,,',
        OTEL_SERVICE_NAME: 'intentops-eu',
        OTEL_TRACES_SAMPLER_ARG: '0.25',
      },
    });
    expect(c.telemetry.otlp.headers).toEqual({ 'api-key': 's3cr=t', 'x-tenant': 'acme corp' });
    expect(exportSettings(c.telemetry)).toEqual({
      exporter: 'otlp',
      url: 'http://collector:4318/v1/traces',
      headers: { 'api-key': 's3cr=t', 'x-tenant': 'acme corp' },
      serviceName: 'intentops-eu',
      sampleRatio: 0.25,
    });
  });

  it('uses a traces endpoint as is, over the base endpoint; a YAML map of headers works too', () => {
    const file = join(tempDir(), 'intentops.yaml');
    writeFileSync(file, 'telemetry:\n  otlp:\n    endpoint: https://a.example\n    headers:\n      authorization: Bearer x\n');
    const c = loadConfig({ file, env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://b.example/custom/traces' } });
    expect(exportSettings(c.telemetry)).toMatchObject({ url: 'https://b.example/custom/traces', headers: { authorization: 'Bearer x' } });
  });

  it('rejects a bad endpoint, header list or ratio with a config error naming the variable or file line', () => {
    const bad = (env: Record<string, string>) => {
      try {
        loadConfig({ env });
      } catch (e) {
        return e as { code: string; where: string; message: string };
      }
      throw new Error(`accepted ${JSON.stringify(env)}`);
    };
    expect(bad({ OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost:4318' })).toMatchObject({
      code: 'invalid_config',
      where: 'env OTEL_EXPORTER_OTLP_ENDPOINT (telemetry.otlp.endpoint)',
      message: 'telemetry.otlp.endpoint: must be an http(s) URL such as http://127.0.0.1:4318',
    });
    expect(bad({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'grpc://x:4317' }).where).toBe('env OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (telemetry.otlp.tracesEndpoint)');
    expect(bad({ OTEL_EXPORTER_OTLP_HEADERS: 'api-key=1,oops' })).toMatchObject({ where: 'env OTEL_EXPORTER_OTLP_HEADERS (telemetry.otlp.headers)', message: expect.stringMatching(/"oops" is not key=value: use k=v,k2=v2/) });
    expect(bad({ OTEL_EXPORTER_OTLP_HEADERS: 'api-key=100%' }).message).toMatch(/entry for "api-key" has a bad %-escape/);
    expect(bad({ OTEL_EXPORTER_OTLP_HEADERS: 'ok=1,bad name=1' }).message).toBe('telemetry.otlp.headers: "bad name" is not a valid HTTP header name');
    expect(bad({ OTEL_TRACES_SAMPLER_ARG: '2' }).where).toBe('env OTEL_TRACES_SAMPLER_ARG (telemetry.sampleRatio)');
    expect(bad({ OTEL_TRACES_SAMPLER_ARG: 'half' }).where).toBe('env OTEL_TRACES_SAMPLER_ARG (telemetry.sampleRatio)');
    const file = join(tempDir(), 'intentops.yaml');
    writeFileSync(file, 'telemetry:\n  otlp:\n    endpoint: not a url\n');
    expect(() => loadConfig({ file, env: {} })).toThrow(expect.objectContaining({ where: `${file}:3 (telemetry.otlp.endpoint)` }));
  });
});

/** The spans of one request (by the request id on its server span), with the server span first. */
function requestSpans(spans: readonly ReceivedSpan[], requestId: string): { server: ReceivedSpan; children: ReceivedSpan[] } {
  const server = spans.find((s) => s.attributes['intentops.request.id'] === requestId);
  if (!server) throw new Error(`no server span for ${requestId}; got ${spans.map((s) => s.name).join(', ')}`);
  return { server, children: spans.filter((s) => s.parentSpanId === server.spanId) };
}

describe('tracing in process (real OTLP/HTTP export to a local receiver)', () => {
  let rx: OtlpReceiver;
  let tracing: Tracing;
  let s: TestServing;
  const pgRun = `tr_${uniqueId()}_`;

  beforeAll(async () => {
    rx = await startOtlpReceiver();
    const c = loadConfig({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: rx.url } });
    // the batch processor reads its delay from the environment (default 5 s)
    process.env.OTEL_BSP_SCHEDULE_DELAY = '50';
    try {
      tracing = await initTracing(c, silent, { version: '9.9.9', modelRef: 'models/sample' });
    } finally {
      delete process.env.OTEL_BSP_SCHEDULE_DELAY;
    }
    // no audit sample: the default 1 % of accepted answers, picked by the random request id, would
    // add an audit item's review.add span to a request now and then (2 of 100 runs of the batch below)
    s = await testServing({ flags: { monitor: { audit: { sampleRate: 0 } } } });
  });
  afterAll(async () => {
    await tracing?.shutdown();
    await rx?.close();
    await dropPgTables(pgRun);
  });

  it('a batch: server span with HTTP attributes and a traceresponse header; one span per model stage with route counts', async () => {
    expect(tracingOn()).toBe(true);
    const res = await s.post('/v1/classify/batch', { items: [{ text: CONFIDENT }, { text: UNSURE }, { text: 'where is my parcel' }] }, { 'x-request-id': 'batch-1' });
    expect(res.status).toBe(200);
    const tr = res.headers.get('traceresponse');
    expect(tr).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const nope = await s.get('/v1/nope', { 'x-request-id': 'nope-1' });
    expect(nope.status).toBe(404);
    await rx.waitFor((sp) => sp.some((x) => x.attributes['intentops.request.id'] === 'nope-1'));

    const { server, children } = requestSpans(rx.spans, 'batch-1');
    expect(`00-${server.traceId}-${server.spanId}-01`).toBe(tr);
    expect(server).toMatchObject({ name: 'POST /v1/classify/batch', kind: 2, status: { code: 0 } });
    expect(server.parentSpanId).toBeUndefined();
    expect(server.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.route': '/v1/classify/batch', 'http.response.status_code': 200, 'url.path': '/v1/classify/batch', 'intentops.principal': 'anonymous' });
    expect(server.resource).toMatchObject({ 'service.name': 'intentops', 'service.version': '9.9.9', 'intentops.model.ref': 'models/sample' });
    expect(server.scope).toBe('intentops');
    const byName = Object.fromEntries(children.map((c) => [c.name === 'index.search' ? `index.search:${c.attributes['intentops.index.purpose']}` : c.name, c]));
    // evidence: the sample bundle's out-of-scope score uses the nearest example's similarity, so every message is searched once
    expect(Object.keys(byName).sort()).toEqual(['classifier.score', 'embed', 'index.search:evidence', 'index.search:neighbours', 'review.add', 'route']);
    expect(byName.embed.attributes).toMatchObject({ 'intentops.embedder': 'hashed', 'intentops.messages': 3 });
    expect(byName['classifier.score'].attributes).toMatchObject({ 'intentops.model.name': 'sample', 'intentops.messages': 3 });
    const routes = byName.route.attributes;
    expect((routes['intentops.routes.accepted'] as number) + (routes['intentops.routes.review'] as number)).toBe(3);
    expect(routes['intentops.routes.review']).toBeGreaterThanOrEqual(1);
    // the unsure messages (and only they) were searched for neighbours to show
    expect(byName['index.search:neighbours'].attributes['intentops.messages']).toBe(routes['intentops.routes.review']);
    // each unsure message was queued for review (no LLM here): one store write each
    expect(children.filter((c) => c.name === 'review.add')).toHaveLength(routes['intentops.routes.review'] as number);
    for (const c of children) expect(c.traceId).toBe(server.traceId);

    const unmatched = requestSpans(rx.spans, 'nope-1').server;
    expect(unmatched.name).toBe('GET');
    expect(unmatched.attributes['http.route']).toBeUndefined();
    expect(unmatched.attributes['http.response.status_code']).toBe(404);
    expect(unmatched.status.code).toBe(0); // a 4xx is the client's error, not the server's
  });

  it('a 5xx marks the server span failed (a closed review store: refused before any write)', async () => {
    const broken = await testServing();
    await broken.close(); // the review store is closed: queuing an unsure message fails
    const res = await broken.post('/v1/classify', { text: UNSURE }, { 'x-request-id': 'broken-1' });
    expect(res.status).toBe(503);
    await rx.waitFor((sp) => sp.some((x) => x.attributes['intentops.request.id'] === 'broken-1'));
    const { server, children } = requestSpans(rx.spans, 'broken-1');
    expect(server.status.code).toBe(2);
    expect(server.attributes).toMatchObject({ 'error.type': '503', 'http.response.status_code': 503 });
    // the closed store is refused by the resilient wrapper before any write is tried: no write span,
    // and the answer names the store, not the message
    expect(children.some((c) => c.name === 'review.add')).toBe(false);
    expect(((await res.json()) as { detail: string }).detail).toBe('review store: the review store is closed');
  });

  it('LLM failures: llm.chat failed with the outcome and error code (failed, bad answer with its tokens, circuit open), never the message', async () => {
    const fake = await startFakeLlm();
    const llm = await testServing({ flags: { llm: { provider: 'openai-chat', baseUrl: fake.baseUrl, model: 'gpt-4o-mini', maxRetries: 0, circuit: { failureThreshold: 1, cooldownMs: 60_000 } } } });
    try {
      fake.script({ content: 'no json here', usage: { promptTokens: 50, completionTokens: 3 } }, { status: 500 });
      for (const [id, text] of [['llm-bad', 'hmm ok 1'], ['llm-500', 'hmm ok 2'], ['llm-open', 'hmm ok 3']]) {
        expect(await (await llm.post('/v1/classify', { text }, { 'x-request-id': id })).json()).toMatchObject({ route: 'review' });
      }
      await rx.waitFor((sp) => sp.some((x) => x.attributes['intentops.request.id'] === 'llm-open'));
      const chat = (id: string) => requestSpans(rx.spans, id).children.find((c) => c.name === 'llm.chat')!;
      expect(chat('llm-bad')).toMatchObject({ status: { code: 2 }, attributes: { 'intentops.llm.outcome': 'bad_answer', 'error.type': 'unavailable', 'gen_ai.usage.input_tokens': 50, 'gen_ai.usage.output_tokens': 3 } });
      expect(chat('llm-500')).toMatchObject({ status: { code: 2 }, attributes: { 'intentops.llm.outcome': 'failed', 'intentops.llm.retries': 0 } });
      expect(chat('llm-open')).toMatchObject({ status: { code: 2 }, attributes: { 'intentops.llm.outcome': 'circuit_open' } });
      expect(fake.requests).toHaveLength(2); // the open circuit made no call
      expect(rx.exports.map((e) => e.body).join('')).not.toMatch(/hmm ok|no json here/);
    } finally {
      await llm.close();
      await fake.close();
    }
  });

  it('PostgreSQL review writes: client spans under the active span with db.* attributes; a refused claim is tagged, not failed', async () => {
    await requirePostgres();
    const tablePrefix = `${pgRun}t_`;
    const store = await openPostgresReviewStore(PG_URL, { tablePrefix, poolSize: 2 });
    try {
      const parent = tracer().startSpan('test.parent');
      await context.with(trace.setSpan(context.active(), parent), async () => {
        const item = await store.add({ text: 'never in a span quixotic-wolverine', guess: 'delivery', confidence: 0.3, alternatives: [], reason: 'low_confidence', model: { name: 'm', version: 'v' } });
        await store.claim(item.id, 'ana');
        await expect(store.claim(item.id, 'ben')).rejects.toMatchObject({ code: 'invalid_input' });
      });
      parent.end();
      const sc = parent.spanContext();
      const spans = await rx.waitFor((sp) => sp.filter((x) => x.parentSpanId === sc.spanId).length === 3);
      const [add, claimed, refused] = spans.filter((x) => x.parentSpanId === sc.spanId).sort((a, b) => (a.startTimeUnixNano < b.startTimeUnixNano ? -1 : 1));
      const db = { 'db.system': 'postgresql', 'db.system.name': 'postgresql', 'db.namespace': new URL(PG_URL).pathname.slice(1), 'db.collection.name': `${tablePrefix}review_items`, 'server.address': new URL(PG_URL).hostname };
      expect(add).toMatchObject({ name: 'review.add', kind: 3, traceId: sc.traceId, status: { code: 0 }, attributes: { ...db, 'db.operation.name': 'INSERT' } });
      expect(claimed).toMatchObject({ name: 'review.claim', status: { code: 0 }, attributes: { ...db, 'db.operation.name': 'UPDATE' } });
      expect(refused).toMatchObject({ name: 'review.claim', status: { code: 0 }, attributes: { 'error.type': 'invalid_input' } });
      expect(rx.exports.map((e) => e.body).join('')).not.toContain('quixotic-wolverine');
    } finally {
      await store.close();
    }
  });

  it('shutdown flushes and unregisters: later requests make no spans and no traceresponse', async () => {
    await s.post('/v1/classify', { text: CONFIDENT }, { 'x-request-id': 'last-1' });
    await tracing.shutdown();
    expect(rx.spans.some((x) => x.attributes['intentops.request.id'] === 'last-1')).toBe(true);
    expect(tracingOn()).toBe(false);
    const before = rx.spans.length;
    const res = await s.post('/v1/classify', { text: CONFIDENT }, { 'x-request-id': 'after-1' });
    expect(res.headers.get('traceresponse')).toBeNull();
    expect(s.logs.find((l) => l.requestId === 'after-1')).not.toHaveProperty('trace_id');
    await new Promise((r) => setTimeout(r, 200));
    expect(rx.spans.length).toBe(before);
    expect(rx.rejected).toEqual([]);
  });
});

describe('initTracing without an endpoint', () => {
  let s: TestServing | undefined;
  afterEach(async () => s?.close());

  it('registers nothing: no traceresponse header, no trace ids in the log', async () => {
    const tracing = await initTracing(loadConfig({ env: {} }), silent);
    expect(tracing.enabled).toBe(false);
    expect(tracingOn()).toBe(false);
    s = await testServing();
    const res = await s.post('/v1/classify', { text: CONFIDENT }, { 'x-request-id': 'off-1', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
    expect(res.status).toBe(200);
    expect(res.headers.get('traceresponse')).toBeNull();
    const line = s.logs.find((l) => l.requestId === 'off-1');
    expect(line).toMatchObject({ route: '/v1/classify', status: 200 });
    expect(line).not.toHaveProperty('trace_id');
    await tracing.shutdown();
  });
});
