import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { metric, sampleModel } from '../../../test/helpers/serving.js';
import { SAMPLE_TEST } from '../../../test/helpers/sample.js';
import { buildProfile, confidenceHistogram, CONFIDENCE_EDGES, DEFAULT_THRESHOLDS, type Alert } from '../../core/monitor/index.js';
import { loadConfig } from '../config.js';
import { openModel } from '../container/index.js';
import { ClassifyService, type ClassifyResult } from '../classify/service.js';
import { loadExamples } from './dataset.js';
import type { IntentModel } from '../classify/model.js';
import { AlertDispatcher, MonitorService, profileOf, sampledId, ServedMonitor, type MonitorSettings } from './monitor.js';
import { registerMonitorMetrics } from '../telemetry/monitor-metrics.js';
import { logSink } from '../../../test/helpers/capture.js';

const SETTINGS: MonitorSettings = { windowMinutes: 60, minSamples: 50, sampleRate: 1, baselineSamples: 1000, thresholds: DEFAULT_THRESHOLDS };
const T0 = Date.UTC(2025, 0, 15, 12, 0, 0);

/** Messages from nowhere near the sample data: invented words, so every token is unseen. */
const ALIEN = Array.from({ length: 120 }, (_, i) => `zorblat quenvik ${['drummox', 'plinth', 'vexalor', 'snarfle'][i % 4]} tramvek ${i} glorp`);


let model: IntentModel;
let testTexts: string[];

/** The same model as a bundle from before held-out confidences were recorded in the manifest. */
function withoutHeldOut(m: IntentModel): IntentModel {
  const legacy = Object.create(Object.getPrototypeOf(m) as object) as IntentModel;
  return Object.assign(legacy, m, { manifest: { ...m.manifest, monitor: undefined } });
}
beforeAll(async () => {
  model = await openModel(await sampleModel(), loadConfig({}));
  testTexts = (await loadExamples(SAMPLE_TEST)).examples.map((e) => e.text);
});

async function run(monitor: MonitorService, texts: readonly string[]): Promise<ClassifyResult[]> {
  const service = new ClassifyService({ model: () => model, observer: monitor });
  const out = await service.classifyBatch(texts.map((text) => ({ text })));
  await monitor.idle();
  return out;
}

describe('profileOf', () => {
  it('takes label counts, vocabulary and validation coverage from the bundle and fits centroids', async () => {
    const p = await profileOf(model);
    expect(p.labels).toEqual(model.labels);
    expect(p.labelCounts.reduce((a, b) => a + b)).toBe(model.examples.length);
    expect(p.expectedAcceptedShare).toBe(model.manifest.routing.coverage);
    expect(p.vocabulary.has('paket')).toBe(true);
    expect(p.centroids!.dim).toBe(model.embedder.dim);
    expect(p.distance!.n).toBe(model.examples.length);
    expect(p.distance!.p95).toBeGreaterThan(p.distance!.p50);
    const few = await profileOf(model, { maxExamples: 50 });
    expect(few.distance!.n).toBe(50);
    const none = await profileOf(model, { maxExamples: 0 });
    expect(none.centroids).toBeUndefined();
    expect(none.vocabulary.size).toBe(p.vocabulary.size);
  });
});

describe('MonitorService', () => {
  it('counts every answer; the held-out test set raises no alert', async () => {
    const m = await MonitorService.forModel(model, SETTINGS);
    const results = await run(m, testTexts);
    const s = m.snapshot();
    expect(s.model).toEqual(results[0].model);
    expect(s.figures.window.samples).toBe(testTexts.length);
    expect(s.figures.window.sampled).toBe(testTexts.length);
    const accepted = results.filter((r) => r.route === 'accepted').length;
    expect(s.figures.routes!.accepted).toBeCloseTo(accepted / testTexts.length, 12);
    expect(s.figures.labels!.psi).toBeLessThan(0.05);
    expect(s.figures.oov!.share).toBeLessThan(s.figures.oov!.expected + DEFAULT_THRESHOLDS.oovMargin.warn);
    expect(s.figures.centroid!.ratio).toBeGreaterThan(0.9);
    expect(s.figures.centroid!.ratio).toBeLessThan(1.1);
    // the bundle's confidence reference comes from cross-fitted folds (paraphrases kept apart),
    // which are less sure than the model fitted on everything: on its own test set the confidence
    // PSI can sit at the warning line, never at the alert level; no other rule fires
    expect(s.alerts.filter((a) => a.severity === 'alert')).toEqual([]);
    expect(s.alerts.every((a) => a.kind === 'confidence_psi' && a.value < 0.25)).toBe(true);
  });

  it('messages unlike the training data raise OOV, fallback and centroid-distance alerts', async () => {
    const m = await MonitorService.forModel(model, SETTINGS);
    await run(m, ALIEN);
    const s = m.snapshot();
    expect(s.figures.oov!.share).toBeGreaterThan(0.8);
    const kinds = s.alerts.map((a) => `${a.kind}:${a.severity}`);
    expect(kinds).toContain('oov_share:alert');
    // everything went to review; how far above the expected share that is depends on the bundle's coverage
    expect(kinds.some((k) => k.startsWith('fallback_share:'))).toBe(true);
    expect(s.figures.routes!.fallbackShare).toBe(1);
    expect(s.figures.centroid!.ratio).toBeGreaterThan(1.1);
    expect(kinds.some((k) => k.startsWith('centroid_distance:'))).toBe(true);
  });

  it('samples by id: observe and the recorder hook pick the same messages and agree on their features', async () => {
    const m = await MonitorService.forModel(model, { ...SETTINGS, sampleRate: 0.3 });
    const results = await run(m, testTexts);
    const inputs = testTexts.map((text) => ({ text }));
    const feats = results.map((r, i) => m.features(inputs[i], r));
    const sampled = results.map((r) => sampledId(r.id, 0.3));
    expect(feats.map((f) => f !== undefined)).toEqual(sampled);
    const n = sampled.filter(Boolean).length;
    expect(m.snapshot().figures.window.sampled).toBe(n);
    // the share is near the rate (random UUIDs), and features are in range
    expect(n / results.length).toBeGreaterThan(0.15);
    expect(n / results.length).toBeLessThan(0.45);
    const got = feats.filter((f) => f !== undefined);
    for (const f of got) {
      expect(f.oovShare).toBeGreaterThanOrEqual(0);
      expect(f.oovShare).toBeLessThanOrEqual(1);
      expect(f.centroidDistance).toBeGreaterThan(0);
    }
    // the window holds exactly what the hook reports
    const s = m.snapshot().figures;
    expect(s.oov!.share).toBeCloseTo(got.reduce((a, f) => a + f.oovShare!, 0) / n, 12);
    expect(s.centroid!.meanDistance).toBeCloseTo(got.reduce((a, f) => a + f.centroidDistance!, 0) / n, 9);
    // a result the monitor never observed: the OOV share only (no embedding on the recorder's flush)
    const other = await MonitorService.forModel(model, { ...SETTINGS, sampleRate: 1 });
    const f0 = other.features(inputs[0], results[0]);
    expect(f0).toEqual({ oovShare: feats[0]?.oovShare ?? expect.any(Number) });
    expect(sampledId('x', 0)).toBe(false);
    expect(sampledId('x', 1)).toBe(true);
  });

  it('ignores answers of another model version, and the window slides', async () => {
    let now = T0;
    const m = await MonitorService.forModel(model, { ...SETTINGS, sampleRate: 0 }, { now: () => now });
    const [r] = await run(m, testTexts.slice(0, 1));
    m.observe({ ...r, model: { name: r.model.name, version: 'other' } }, { text: testTexts[0] });
    expect(m.snapshot().figures.window.samples).toBe(1);
    expect(m.snapshot().figures.window.since).toBe('2025-01-15T11:01:00.000Z');
    now += 61 * 60_000;
    expect(m.snapshot().figures.window.samples).toBe(0);
    expect(m.snapshot().figures.labels).toBeNull();
  });

  it('without held-out confidences the first predictions become the reference; recorded ones are used when present', async () => {
    const m = await MonitorService.forModel(withoutHeldOut(model), { ...SETTINGS, baselineSamples: 100 });
    await run(m, testTexts.slice(0, 60));
    expect(m.snapshot().figures.confidence).toBeNull();
    await run(m, testTexts.slice(60));
    expect(m.snapshot().figures.confidence).toMatchObject({ reference: 'live-baseline', referenceSamples: 100 });
    expect(m.snapshot().profile.confidenceReference).toBe('live-baseline');

    // a held-out histogram of sure predictions: the test set's confidences are far lower
    const base = await profileOf(model);
    const profile = buildProfile({
      labels: model.labels,
      examples: model.examples,
      coverage: base.expectedAcceptedShare,
      heldOutConfidence: { edges: [...CONFIDENCE_EDGES], counts: confidenceHistogram(Array(500).fill(0.995)) },
    });
    const held = new MonitorService(model, profile, SETTINGS);
    await run(held, testTexts);
    const s = held.snapshot();
    expect(s.figures.confidence).toMatchObject({ reference: 'held-out', referenceSamples: 500 });
    expect(s.alerts.map((a) => a.kind)).toContain('confidence_psi');
  });

  it('check() sends alerts to the sink; start() runs it on a timer', async () => {
    const sent: Alert[][] = [];
    const m = await MonitorService.forModel(model, SETTINGS, { sink: { emit: (a) => sent.push([...a]) } });
    await run(m, ALIEN);
    const s = m.check();
    expect(sent).toEqual([s.alerts]);
    m.start(10);
    await vi.waitFor(() => expect(sent.length).toBeGreaterThan(2), { timeout: 5000, interval: 5 });
    m.stop();
    const n = sent.length;
    await new Promise((r) => setTimeout(r, 50));
    expect(sent.length).toBe(n); // stopped means stopped
  });
});

describe('ServedMonitor', () => {
  it('follows a model swap: the new model gets a fresh window once its profile is built', async () => {
    const other = await openModel(await sampleModel(8), loadConfig({}));
    let served = model;
    const { log, entries } = logSink();
    const monitors = await new ServedMonitor(() => served, SETTINGS, { log }).start();
    const service = new ClassifyService({ model: () => served, observer: monitors });
    await service.classifyBatch(testTexts.slice(0, 10).map((text) => ({ text })));
    const first = monitors.get()!;
    expect(first.snapshot().figures.window.samples).toBe(10);

    served = other;
    const [r] = await service.classifyBatch([{ text: testTexts[0] }]); // noticed here; built in the background
    expect(r.model.version).not.toBe(first.identity.version);
    expect(monitors.get()).toBe(first); // the old window stays until the new profile is ready
    await monitors.settled();
    const second = monitors.get()!;
    expect(second).not.toBe(first);
    expect(second.identity).toEqual(r.model);
    expect(second.snapshot().figures.window.samples).toBe(0);
    await service.classifyBatch(testTexts.slice(0, 5).map((text) => ({ text })));
    expect(second.snapshot().figures.window.samples).toBe(5);
    expect(first.snapshot().figures.window.samples).toBe(10);
    expect(entries().filter((e) => e.msg === 'monitoring the served model')).toHaveLength(2);
    monitors.stop();
  });
});

/** A real HTTP server that records POSTed JSON and answers with the queued statuses (then 204). */
async function webhookServer(statuses: number[] = [], delayMs = 0) {
  const bodies: unknown[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      bodies.push({ path: req.url, type: req.headers['content-type'], body: JSON.parse(data) });
      setTimeout(() => res.writeHead(statuses.shift() ?? 204).end(), delayMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hooks/T0KEN-SECRET`, bodies, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const alert = (kind: Alert['kind'], severity: Alert['severity']): Alert => ({
  kind,
  severity,
  value: 0.3,
  threshold: 0.25,
  window: { since: '2025-01-15T11:00:00.000Z', until: '2025-01-15T12:00:00.000Z', samples: 900 },
  message: `${kind} went up`,
});

describe('AlertDispatcher', () => {
  const servers: { close(): Promise<void> }[] = [];
  afterAll(() => Promise.all(servers.map((s) => s.close())));

  it('logs, counts and POSTs new alerts; the same alert waits for the cooldown', async () => {
    const hook = await webhookServer();
    servers.push(hook);
    const { log, entries } = logSink();
    const registry = new Registry();
    let now = T0;
    const d = new AlertDispatcher({ log, registry, cooldownMinutes: 30, webhook: { url: hook.url }, now: () => now });
    d.emit([alert('label_psi', 'alert'), alert('oov_share', 'warn')], { model: { name: 'sample', version: 'abc' } });
    await d.flush();
    expect(hook.bodies).toEqual([
      { path: '/hooks/T0KEN-SECRET', type: 'application/json', body: { source: 'intentops', model: { name: 'sample', version: 'abc' }, alerts: [alert('label_psi', 'alert'), alert('oov_share', 'warn')] } },
    ]);
    expect(entries().map((e) => [e.level, e.msg])).toEqual([
      [40, 'label_psi went up'],
      [40, 'oov_share went up'],
    ]);
    now += 29 * 60_000;
    d.emit([alert('label_psi', 'alert'), alert('label_psi', 'warn')]);
    await d.flush();
    expect(hook.bodies.length).toBe(2);
    expect((hook.bodies[1] as { body: { alerts: Alert[] } }).body.alerts.map((a) => a.severity)).toEqual(['warn']);
    now += 60_000;
    d.emit([alert('label_psi', 'alert')]);
    await d.flush();
    expect(hook.bodies.length).toBe(3);
    const text = await registry.metrics();
    expect(metric(text, 'intentops_alerts_total{kind="label_psi",severity="alert"}')).toBe(2);
    expect(metric(text, 'intentops_alerts_total{kind="oov_share",severity="warn"}')).toBe(1);
  });

  it('retries a failing webhook, gives up on a 4xx, and never logs the URL path', async () => {
    const hook = await webhookServer([503, 500]);
    servers.push(hook);
    const { log, entries } = logSink();
    const d = new AlertDispatcher({ log, cooldownMinutes: 0, webhook: { url: hook.url, retries: 2, backoffMs: 5 } });
    d.emit([alert('fallback_share', 'alert')]);
    await d.flush();
    expect(hook.bodies.length).toBe(3);
    expect(entries().filter((e) => e.msg === 'alert webhook failed; alert logged only')).toEqual([]);

    const bad = await webhookServer([400]);
    servers.push(bad);
    const d2 = new AlertDispatcher({ log, cooldownMinutes: 0, webhook: { url: bad.url, retries: 3, backoffMs: 5 } });
    d2.emit([alert('fallback_share', 'alert')]);
    await d2.flush();
    expect(bad.bodies.length).toBe(1);
    const failed = entries().find((e) => e.msg === 'alert webhook failed; alert logged only')!;
    expect(failed).toMatchObject({ level: 40, err: 'HTTP 400', webhook: new URL(bad.url).origin });
    expect(JSON.stringify(entries())).not.toContain('T0KEN-SECRET');
  });

  it('a webhook that does not answer in time counts as failed', async () => {
    const slow = await webhookServer([], 500);
    servers.push(slow);
    const { log, entries } = logSink();
    const d = new AlertDispatcher({ log, cooldownMinutes: 0, webhook: { url: slow.url, retries: 0, timeoutMs: 50 } });
    d.emit([alert('oov_share', 'alert')]);
    await d.flush();
    expect(entries().find((e) => e.msg === 'alert webhook failed; alert logged only')).toMatchObject({ err: 'no answer within 50 ms' });
  });
});

describe('registerMonitorMetrics', () => {
  it('exposes the current window as gauges, and nothing while there is no monitor', async () => {
    const registry = new Registry();
    let current: MonitorService | undefined;
    registerMonitorMetrics(registry, () => current);
    expect(await registry.metrics()).not.toMatch(/^intentops_drift_window_samples \d/m);
    current = await MonitorService.forModel(model, SETTINGS);
    const results = await run(current, testTexts);
    const text = await registry.metrics();
    expect(metric(text, 'intentops_drift_window_samples')).toBe(testTexts.length);
    expect(metric(text, 'intentops_drift_route_share{route="accepted"}')).toBeCloseTo(results.filter((r) => r.route === 'accepted').length / testTexts.length, 9);
    expect(metric(text, 'intentops_drift_psi{kind="label"}')).toBeCloseTo(current.snapshot().figures.labels!.psi, 9);
    expect(metric(text, 'intentops_drift_psi{kind="confidence"}')).toBeCloseTo(current.snapshot().figures.confidence!.psi, 9);
    expect(metric(text, 'intentops_drift_oov_share')).toBeGreaterThan(0);
  });
});
