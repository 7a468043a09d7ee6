import { join } from 'node:path';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, SAMPLE_TEST, tempDir } from '../../../../test/helpers/sample.js';
import { sampleModel, testServing, type TestServing } from '../../../../test/helpers/serving.js';
import { loadConfig } from '../../config.js';
import { openRegistry } from '../../container/index.js';
import { registerBundle, setAlias } from '../../services/registry.js';
import { problemResponse, toProblem } from '../problem.js';
import type { Env } from '../types.js';
import { clientSubject } from './rollout.js';

describe('clientSubject: the key a rollout arm sticks to', () => {
  const app = (authOn: boolean) => {
    const a = new Hono<Env>();
    a.use(async (c, next) => {
      c.set('principal', authOn ? 'key-a' : 'anonymous');
      await next();
    });
    a.get('/', (c) => c.json({ subject: clientSubject(c, authOn) ?? null }));
    a.onError((e, c) => problemResponse(c, toProblem(e)));
    return a;
  };
  const subject = async (authOn: boolean, headers: Record<string, string> = {}) => {
    const res = await app(authOn).request('/', { headers });
    return { status: res.status, body: (await res.json()) as { subject?: string | null; detail?: string } };
  };

  it('takes x-client-id first, then the API key name, and nothing when auth is off', async () => {
    expect((await subject(true, { 'x-client-id': ' tenant-7 ' })).body.subject).toBe('tenant-7');
    expect((await subject(false, { 'x-client-id': 'tenant-7' })).body.subject).toBe('tenant-7');
    expect((await subject(true)).body.subject).toBe('key-a');
    // with auth off everyone is "anonymous": sticking to it would put every client in one arm
    expect((await subject(false)).body.subject).toBeNull();
    expect((await subject(false, { 'x-client-id': '  ' })).body.subject).toBeNull();
  });

  it('refuses an over-long client id with a 400', async () => {
    const r = await subject(true, { 'x-client-id': 'x'.repeat(257) });
    expect(r.status).toBe(400);
    expect(r.body.detail).toMatch(/x-client-id is 257 characters; the limit is 256/);
  });
});

describe('/v1/rollout over HTTP', () => {
  let rollout: TestServing;
  let plain: TestServing;
  beforeAll(async () => {
    const dir = tempDir('intentops-rollout-routes-');
    const flags = {
      registry: { uri: `sqlite:${join(dir, 'intentops.db')}`, artifacts: `file:${join(dir, 'artifacts')}`, pollMs: 0 },
      rollout: { gates: join(ROOT, 'test/fixtures/gates/strict.yaml'), data: SAMPLE_TEST },
    };
    const reg = await openRegistry(loadConfig({ env: {}, flags }));
    await registerBundle(reg, await sampleModel(7), 'tickets', { who: 'test' });
    await registerBundle(reg, await sampleModel(3), 'tickets', { who: 'test' });
    await setAlias(reg, 'tickets', 'champion', 1, { who: 'test' });
    await setAlias(reg, 'tickets', 'challenger', 2, { who: 'test' });
    await reg.store.close();
    rollout = await testServing({ flags, modelDir: 'models:/tickets@champion' });
    plain = await testServing();
  });
  afterAll(async () => {
    await rollout?.close();
    await plain?.close();
  });

  it('is 404 on a server that serves a bundle directory', async () => {
    const res = await plain.get('/v1/rollout');
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ type: 'urn:intentops:problem:rollout-disabled', detail: expect.stringMatching(/--model models:\/NAME@champion/) });
  });

  it('reads the rollout with the live figures, and the A/B analysis on request', async () => {
    const body = await (await rollout.get('/v1/rollout')).json();
    expect(body).toMatchObject({ name: 'tickets', mode: 'off', champion: { version: 1 }, challenger: { version: 2 }, live: { mode: 'off', champion: 1, challenger: null } });
    expect(body.ab).toBeUndefined();
    const ab = await (await rollout.get('/v1/rollout?analysis=true')).json();
    expect(ab.ab).toMatchObject({ sources: ['review', 'feedback'], recommendation: 'need more data', rule: { alpha: 0.05, minSamples: 100, minEffect: 0.02 } });
    expect((await rollout.get('/v1/rollout?analysis=maybe')).status).toBe(400);
  });

  it('sets the mode as the API key name; a failed gate is a 409 that changes nothing', async () => {
    const put = await rollout.app.request('/v1/rollout', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mode: 'ab', why: 'compare' }) });
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({ mode: 'ab', share: 0.5, updatedBy: 'anonymous', live: { mode: 'ab', share: 0.5, challenger: 2 } });
    const res = await rollout.post('/v1/rollout/promote', { why: 'try' });
    expect(res.status).toBe(409);
    const p = await res.json();
    expect(p).toMatchObject({ type: 'urn:intentops:problem:gate-failed', gate: { passed: false } });
    expect(p.detail).toMatch(/challenger v2 failed the quality gate .*champion stays v1/);
    expect(p.gate.results.some((r: { gate: string; passed: boolean }) => r.gate === 'minAccuracy' && !r.passed)).toBe(true);
    expect((await (await rollout.get('/v1/rollout')).json()).champion.version).toBe(1);
    expect((await rollout.post('/v1/rollout/promote', { why: 'try', force: 'yes' })).status).toBe(400);
  });
});
