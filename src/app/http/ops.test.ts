import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testServing, type TestServing } from '../../../test/helpers/serving.js';

describe('operations endpoints', () => {
  let s: TestServing;
  beforeAll(async () => {
    s = await testServing();
  });
  afterAll(() => s.close());

  it('/healthz is liveness; /readyz checks the model and each configured store', async () => {
    expect(await (await s.get('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await s.get('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { model: 'ok', review: 'ok', cache: 'ok', events: 'ok' } });
  });

  it('/readyz answers 503 while draining; a store that cannot be reached degrades it, ready still (details in the log only)', async () => {
    s.deps.lifecycle!.draining = true;
    try {
      const res = await s.get('/readyz');
      expect(res.status).toBe(503);
      const p = await res.json();
      expect(p).toMatchObject({ status: 'unready', checks: { server: 'shutting down' } });
    } finally {
      s.deps.lifecycle!.draining = false;
    }
    const broken = await testServing();
    await broken.close(); // the review store and cache are now closed: their probes fail
    const res = await broken.get('/readyz');
    // the replica still answers (review items spooled, predictions buffered, cache bypassed): a
    // shared store that is away must not pull every replica out of the load balancer
    expect(res.status).toBe(200);
    const p = await res.json();
    expect(p).toMatchObject({ status: 'degraded', checks: { model: 'ok', review: 'unreachable', events: 'unreachable' } });
    expect(p.degraded).toEqual(expect.arrayContaining(['review', 'events', 'cache']));
    expect(broken.logs.some((l) => l.msg === 'readiness check failed' && l.check === 'review')).toBe(true);
  });

  it('/metrics exposes the named series in Prometheus text format', async () => {
    await s.post('/v1/classify', { text: 'where is my parcel? tracking shows nothing' });
    await s.post('/v1/classify', { text: 'where is my parcel? tracking shows nothing' });
    await s.post('/v1/classify', { text: 'hmm ok' });
    await s.post('/v1/classify', { text: '' });
    const res = await s.get('/metrics');
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const m = await res.text();
    for (const series of [
      'intentops_http_requests_total{method="POST",route="/v1/classify",status="200"} 3',
      'intentops_http_requests_total{method="POST",route="/v1/classify",status="400"} 1',
      'intentops_http_request_duration_seconds_bucket{le="0.1",method="POST",route="/v1/classify",status="200"}',
      'intentops_classifications_total{route="accepted",reason="confident"} 2',
      // small talk: none of the sample's intents, flagged by the out-of-scope detector
      'intentops_classifications_total{route="review",reason="out_of_scope"} 1',
      'intentops_review_queued_total{reason="out_of_scope"} 1',
      'intentops_out_of_scope_total{source="model"} 1',
      '# TYPE intentops_accepted_precision_upper gauge',
      'intentops_accepted_precision_target 0.97',
      'intentops_out_of_scope_share 0.3333333333333333',
      'intentops_cache_lookups_total{result="hit"} 1',
      'intentops_cache_lookups_total{result="miss"} 2',
      'intentops_model_info{name="sample",version="',
      '# TYPE intentops_llm_calls_total counter',
      '# TYPE intentops_llm_tokens_total counter',
      '# TYPE intentops_llm_cost_usd_total counter',
      'intentops_process_resident_memory_bytes',
    ]) {
      expect(m, series).toContain(series);
    }
    // route labels are patterns, never raw paths (bounded cardinality)
    await s.get('/v1/review/some-id-123/claim');
    await s.get('/no/such/path');
    const after = await (await s.get('/metrics')).text();
    expect(after).not.toContain('some-id-123');
    expect(after).not.toContain('/no/such/path');
    expect(after).toContain('route="unmatched",status="404"');
  });

  it('/openapi.json is an OpenAPI 3.1 document listing every route, generated from the validation schemas', async () => {
    const doc = await (await s.get('/openapi.json')).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.title).toBe('IntentOps API');
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        ...['/v1/classify', '/v1/classify/batch', '/v1/intents', '/v1/models/current', '/v1/review', '/v1/review/claim-next', '/v1/review/{id}/claim', '/v1/review/{id}/label', '/v1/review/{id}/skip'],
        ...['/v1/feedback', '/v1/discover', '/v1/monitor', '/v1/runs', '/v1/rollout', '/v1/rollout/llm', '/v1/rollout/promote', '/v1/rollout/rollback'],
        ...['/healthz', '/readyz', '/metrics', '/openapi.json', '/docs', '/dashboard/'],
      ].sort(),
    );
    const req = doc.components.schemas.ClassifyRequest;
    expect(req).toMatchObject({ type: 'object', required: ['text'], additionalProperties: false, properties: { text: { type: 'string', minLength: 1, maxLength: 5000 } } });
    expect(doc.components.schemas.ClassifyBatchRequest.properties.items.items).toEqual({ $ref: '#/components/schemas/ClassifyRequest' });
    expect(doc.components.schemas.ClassifyResult.properties.route.enum).toEqual(['accepted', 'llm', 'review']);
    expect(doc.components.schemas.ClassifyResult.properties.variant.enum).toEqual(['champion', 'challenger']);
    expect(doc.paths['/v1/feedback'].post.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/FeedbackRequest' });
    // every $ref resolves, every operation has an id and responses
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    for (const r of refs) expect(doc.components.schemas).toHaveProperty(r.slice(29, -1).replace('#/components/schemas/', ''));
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, { operationId: string; responses: object }>>)) {
      for (const op of Object.values(ops)) {
        expect(op.operationId, path).toBeTruthy();
        expect(Object.keys(op.responses).length, path).toBeGreaterThan(0);
      }
    }
    expect(JSON.stringify(doc)).not.toContain('"$schema"');
    expect(doc.paths['/v1/review'].get.parameters.map((p: { name: string }) => p.name)).toEqual(['state', 'limit', 'after', 'order']);
  });

  it('/docs is Swagger UI whose assets are all served by this app', async () => {
    const res = await s.get('/docs');
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    const html = await res.text();
    const urls = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(urls.length).toBeGreaterThanOrEqual(4);
    for (const url of urls) {
      expect(url, 'no external asset').toMatch(/^\/docs\/assets\//);
      const asset = await s.get(url);
      expect(asset.status, url).toBe(200);
      expect((await asset.arrayBuffer()).byteLength, url).toBeGreaterThan(100);
    }
    expect(await (await s.get('/docs/assets/init.js')).text()).toContain("url: '/openapi.json'");
    expect((await s.get('/docs/assets/package.json')).status).toBe(404);
    expect((await s.get('/docs/assets/..%2F..%2Fpackage.json')).status).toBe(404);
  });
});
