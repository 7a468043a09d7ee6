import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlm, type FakeLlm } from '../../src/app/dev/fake-llm-server.js';
import { hashKey } from '../../src/app/http/auth.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver.js';
import { serveProcess, type Child } from '../helpers/cli-process.js';
import { ROOT, tempDir } from '../helpers/sample.js';
import { CONFIDENT, sampleModel, UNSURE } from '../helpers/serving.js';

/*
 * `intentops serve` exporting its traces over OTLP/HTTP to a real receiver on 127.0.0.1: the
 * exporter's own JSON payload, decoded strictly (hex ids, AnyValue attributes). Requests take
 * each path — confident, LLM (with one retried 500), LLM `none` → review queue, a caller's
 * sampled and unsampled `traceparent` — then SIGTERM, and the spans must all have arrived.
 */

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const CLIENT_KEY = 'sk-e2e-client-31c9';
const LLM_KEY = 'sk-e2e-llm-77d2';
const TEXTS = { confident: CONFIDENT, llm: UNSURE, review: 'well then', propagated: 'where is my parcel, it is late', unsampled: 'my parcel never came' };
const CALLER = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' };
const UNSAMPLED_TRACE = '5cf92f3577b34da6a3ce929d0e0e4799';

describe('intentops serve exports OpenTelemetry traces over OTLP/HTTP', () => {
  let rx: OtlpReceiver;
  let fake: FakeLlm;
  let server: Child;
  const traceresponse: Record<string, string | null> = {};

  beforeAll(async () => {
    rx = await startOtlpReceiver();
    fake = await startFakeLlm();
    server = await serveProcess(['--model', await sampleModel()], {
      INTENTOPS_REVIEW_URI: `sqlite:${join(tempDir(), 'review.db')}`,
      INTENTOPS_API_KEYS: `e2e:${hashKey(CLIENT_KEY)}`,
      INTENTOPS_LLM_PROVIDER: 'openai-chat',
      INTENTOPS_LLM_BASE_URL: fake.baseUrl,
      INTENTOPS_LLM_MODEL: 'gpt-4o-mini',
      INTENTOPS_LLM_API_KEY: LLM_KEY,
      OTEL_EXPORTER_OTLP_ENDPOINT: rx.url,
      OTEL_EXPORTER_OTLP_HEADERS: 'x-otlp-token=tok%20123',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      // request lines are at debug by default: log every one at info (they carry the trace ids checked below)
      INTENTOPS_LOG_REQUEST_SAMPLE_RATE: '1',
      // an LLM `none` is an answer; at rate 1 it is also queued for review (its store span is checked below)
      INTENTOPS_REVIEW_OUT_OF_SCOPE_SAMPLE_RATE: '1',
      // no audit sample: the default 1 % of accepted answers, picked by the random request id, would
      // now and then add an LLM judge call to t-confident's children and take a scripted answer
      INTENTOPS_AUDIT_SAMPLE_RATE: '0',
    });
    const post = async (id: string, text: string, headers: Record<string, string> = {}) => {
      const res = await fetch(`${server.url}/v1/classify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}`, 'x-request-id': id, ...headers },
        body: JSON.stringify({ text }),
      });
      expect(res.status).toBe(200);
      traceresponse[id] = res.headers.get('traceresponse');
      return (await res.json()) as { route: string; reason: string };
    };
    expect(await post('t-confident', TEXTS.confident)).toMatchObject({ route: 'accepted' });
    fake.script({ status: 500 }, { intent: 'payment_issue', usage: { promptTokens: 321, completionTokens: 7 } });
    expect(await post('t-llm', TEXTS.llm)).toMatchObject({ route: 'llm', reason: 'llm_answered' });
    fake.script({ intent: 'none' });
    expect(await post('t-review', TEXTS.review)).toMatchObject({ route: 'llm', reason: 'out_of_scope', outOfScope: true });
    await post('t-propagated', TEXTS.propagated, { traceparent: `00-${CALLER.traceId}-${CALLER.spanId}-01` });
    await post('t-unsampled', TEXTS.unsampled, { traceparent: `00-${UNSAMPLED_TRACE}-${CALLER.spanId}-00` });
    server.proc.kill('SIGTERM');
    expect(await server.exit).toBe(0);
  });
  afterAll(async () => {
    if (server && server.proc.exitCode === null) server.proc.kill('SIGKILL');
    await fake?.close();
    await rx?.close();
  });

  /** The server span of a request (found by its request id) and its direct children. */
  const request = (id: string): { server: ReceivedSpan; children: ReceivedSpan[]; child(name: string): ReceivedSpan } => {
    const server = rx.spans.find((s) => s.attributes['intentops.request.id'] === id);
    if (!server) throw new Error(`no server span for ${id}; received: ${rx.spans.map((s) => s.name).join(', ')}; rejected: ${rx.rejected.join('; ')}`);
    const children = rx.spans.filter((s) => s.parentSpanId === server.spanId);
    const child = (name: string) => children.find((c) => c.name === name) ?? expect.fail(`${id}: no ${name} child; children: ${children.map((c) => c.name).join(', ')}`);
    return { server, children, child };
  };

  it('every export was well-formed OTLP JSON to /v1/traces, with the configured headers and resource', () => {
    expect(rx.rejected).toEqual([]);
    expect(rx.exports.length).toBeGreaterThan(0);
    for (const e of rx.exports) expect(e.headers['x-otlp-token']).toBe('tok 123');
    const { server } = request('t-confident');
    expect(server.resource).toMatchObject({ 'service.name': 'intentops', 'service.version': VERSION, 'intentops.model.ref': expect.stringContaining('seed-7') });
    expect(server.resource['service.instance.id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('a confident request: the server span with HTTP attributes, and embed → classifier.score → route as its children', () => {
    const { server, children, child } = request('t-confident');
    expect(server).toMatchObject({ name: 'POST /v1/classify', kind: 2, status: { code: 0 }, scope: 'intentops' });
    expect(server.parentSpanId).toBeUndefined();
    expect(server.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.route': '/v1/classify', 'http.response.status_code': 200, 'url.path': '/v1/classify', 'intentops.principal': 'e2e' });
    expect(server.attributes['intentops.model.version']).toMatch(/^[0-9a-f]{12}$/);
    // the sample bundle's out-of-scope score uses the nearest example's similarity: one evidence search per message
    expect(children.map((c) => c.name)).toEqual(['embed', 'index.search', 'classifier.score', 'route']);
    expect(child('index.search').attributes).toMatchObject({ 'intentops.index.purpose': 'evidence', 'intentops.index.k': 1 });
    expect(child('route').attributes).toMatchObject({ 'intentops.route': 'accepted', 'intentops.route.reason': 'confident', 'intentops.intent': 'delivery' });
    expect(child('classifier.score').attributes).toMatchObject({ 'intentops.model.name': 'sample', 'intentops.model.version': server.attributes['intentops.model.version'] });
    for (const c of children) {
      expect(c.traceId).toBe(server.traceId);
      expect(c.startTimeUnixNano >= server.startTimeUnixNano && c.endTimeUnixNano <= server.endTimeUnixNano).toBe(true);
    }
    expect(traceresponse['t-confident']).toBe(`00-${server.traceId}-${server.spanId}-01`);
  });

  it('an unsure request answered by the LLM: index.search for the neighbours and an llm.chat client span with usage, cost and the retry', () => {
    const { child, children } = request('t-llm');
    expect(child('route').attributes).toMatchObject({ 'intentops.route': 'llm' });
    expect(['low_confidence', 'low_margin', 'out_of_scope', 'unfamiliar']).toContain(child('route').attributes['intentops.route.reason']);
    const shown = children.find((c) => c.name === 'index.search' && c.attributes['intentops.index.purpose'] === 'neighbours');
    expect(shown?.attributes).toMatchObject({ 'intentops.index.purpose': 'neighbours', 'intentops.index.k': 3, 'intentops.messages': 1 });
    const llm = child('llm.chat');
    expect(llm).toMatchObject({ kind: 3, status: { code: 0 } });
    expect(llm.attributes).toMatchObject({
      'gen_ai.system': 'openai',
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.usage.input_tokens': 321,
      'gen_ai.usage.output_tokens': 7,
      'intentops.llm.retries': 1,
      'intentops.llm.outcome': 'answered',
      'server.address': '127.0.0.1',
    });
    expect(llm.attributes['intentops.llm.cost_usd']).toBeCloseTo((321 * 0.15 + 7 * 0.6) / 1e6, 12);
  });

  it('an LLM `none` is an out-of-scope answer, sampled for review: llm.chat outcome none and a review.add store span', () => {
    const { child } = request('t-review');
    expect(child('llm.chat').attributes['intentops.llm.outcome']).toBe('none');
    const add = child('review.add');
    expect(add).toMatchObject({ kind: 3, status: { code: 0 } });
    expect(add.attributes).toMatchObject({ 'db.system': 'sqlite', 'db.system.name': 'sqlite', 'db.operation.name': 'INSERT', 'db.collection.name': 'review_items' });
  });

  it("a caller's sampled traceparent: the server span joins that trace under the caller's span; an unsampled one is not recorded", () => {
    const { server, children } = request('t-propagated');
    expect(server.traceId).toBe(CALLER.traceId);
    expect(server.parentSpanId).toBe(CALLER.spanId);
    expect(children.length).toBeGreaterThanOrEqual(3);
    for (const c of children) expect(c.traceId).toBe(CALLER.traceId);
    expect(traceresponse['t-propagated']).toBe(`00-${CALLER.traceId}-${server.spanId}-01`);
    // parent-based sampling follows the caller's "not sampled" flag, and says so in the response
    expect(rx.spans.filter((s) => s.traceId === UNSAMPLED_TRACE)).toEqual([]);
    expect(traceresponse['t-unsampled']).toMatch(new RegExp(`^00-${UNSAMPLED_TRACE}-[0-9a-f]{16}-00$`));
  });

  it('no message text, prompt or key anywhere in the exported payload (the LLM did receive the texts)', () => {
    expect(JSON.stringify(fake.requests.map((r) => r.body))).toContain(TEXTS.llm);
    const payload = rx.exports.map((e) => e.body).join('\n');
    for (const text of Object.values(TEXTS)) expect(payload).not.toContain(text);
    expect(payload).not.toMatch(/Classify the customer message|"role"|"content"/);
    for (const secret of [CLIENT_KEY, LLM_KEY, hashKey(CLIENT_KEY)]) expect(payload).not.toContain(secret);
  });

  it('the request log lines carry the trace and span ids, and no text or key', () => {
    const lines = server
      .stdout()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const id of ['t-confident', 't-llm', 't-propagated']) {
      const { server: span } = request(id);
      expect(lines.find((l) => l.requestId === id && l.msg === 'request')).toMatchObject({ trace_id: span.traceId, span_id: span.spanId, trace_flags: '01' });
    }
    expect(lines.find((l) => l.requestId === 't-unsampled' && l.msg === 'request')).toMatchObject({ trace_id: UNSAMPLED_TRACE, trace_flags: '00' });
    expect(lines.some((l) => l.msg === 'tracing on: exporting spans')).toBe(true);
    const out = server.stdout();
    for (const text of Object.values(TEXTS)) expect(out).not.toContain(text);
    for (const secret of [CLIENT_KEY, LLM_KEY, 'tok 123', 'tok%20123']) expect(out).not.toContain(secret);
  });
});
