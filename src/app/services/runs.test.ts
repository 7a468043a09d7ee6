import { hostname } from 'node:os';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBundle } from '../../adapters/bundle/index.js';
import { openTrackingStore } from '../../adapters/tracking/index.js';
import type { Run, TrackingStore } from '../../ports/tracking-store.js';
import { rejection, SAMPLE_TEST, SAMPLE_TRAIN, tempDir } from '../../../test/helpers/sample.js';
import { loadExamples } from './dataset.js';
import { evaluateModel } from './evaluate.js';
import { modelFromBundle } from '../container/index.js';
import { trainBundle } from '../../../test/helpers/trained.js';
import { compareRuns, currentEnvironment, formatComparison, recordEvaluation, recordTraining, trackTraining, type EvaluationSummary } from './runs.js';
import type { TrainResult } from './train.js';

describe('recording trainings as runs', () => {
  let work: string;
  let result: TrainResult;
  let evaluation: EvaluationSummary;
  let store: TrackingStore;

  beforeAll(async () => {
    work = tempDir('intentops-runs-');
    result = await trainBundle({ data: SAMPLE_TRAIN, out: join(work, 'model'), embedder: 'hashed', seed: 3, name: 'tickets' });
    const model = await modelFromBundle(readBundle(result.dir));
    evaluation = await evaluateModel(model, (await loadExamples(SAMPLE_TEST, { keepDuplicates: true })).examples);
    store = await openTrackingStore(`sqlite:${join(work, 'intentops.db')}`);
  });
  afterAll(async () => {
    await store.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('records parameters, data hash and report, metrics, duration, code version, environment and bundle', async () => {
    const run = await recordTraining(store, result, { codeVersion: 'c0ffee1', params: { cli: { data: 'tickets.csv' } }, tags: { trigger: 'test' } });
    const m = result.manifest;
    expect(run).toMatchObject({ name: 'tickets', status: 'finished', codeVersion: 'c0ffee1', bundle: result.dir, tags: { trigger: 'test' }, perIntent: {} });
    expect(run.params).toMatchObject({ seed: 3, embedder: { name: 'hashed' }, index: m.index.kind, validation: m.training.valSource, cli: { data: 'tickets.csv' } });
    expect((run.params.training as Record<string, unknown>).learningRate).toBe(m.training.options.learningRate);
    expect(run.data).toEqual({ hash: m.dataHash, report: JSON.parse(JSON.stringify(result.report)) });
    expect(run.metrics.valAccuracy).toBe(m.metrics.valAccuracy);
    expect(run.metrics).toMatchObject({ trainExamples: m.training.trainExamples, labels: 10, temperature: m.classifier.temperature });
    expect(Object.values(run.metrics).every(Number.isFinite)).toBe(true);
    expect(run.durationMs).toBe(Math.round(result.seconds * 1000));
    expect(run.environment).toEqual(currentEnvironment());
    expect(run.environment.node).toBe(process.version);
    expect(await store.getRun(run.id)).toEqual(run);
  });

  it('adds test metrics and per-intent figures from an evaluation', async () => {
    const run = await recordTraining(store, result, { evaluation });
    expect(run.metrics.testAccuracy).toBeCloseTo(evaluation.accuracy, 12);
    expect(Object.keys(run.perIntent).sort()).toEqual([...result.manifest.labels].sort());
    const some = evaluation.perIntent[0];
    expect(run.perIntent[some.label]).toEqual({ precision: some.precision, recall: some.recall, f1: some.f1, support: some.support });
    const bare = await recordTraining(store, result);
    const later = await recordEvaluation(store, bare.id, evaluation);
    expect(later.perIntent).toEqual(run.perIntent);
    expect(later.metrics.valAccuracy).toBe(bare.metrics.valAccuracy);
  });

  it('tracks a training from start to finish, or to failure with the error', async () => {
    const { run, result: r } = await trackTraining(store, { name: 'tracked', codeVersion: 'abc', params: { flag: 1 } }, async () => result);
    expect(r).toBe(result);
    expect(run).toMatchObject({ name: 'tracked', status: 'finished', codeVersion: 'abc', data: { hash: result.manifest.dataHash } });
    expect(run.params).toMatchObject({ flag: 1, seed: 3 });
    const boom = await rejection(
      trackTraining(store, { name: 'broken' }, async () => {
        throw new (await import('../../core/errors.js')).IntentOpsError('invalid_input', 'no validation examples');
      }),
    );
    expect(boom.message).toBe('no validation examples');
    const [failed] = await store.listRuns({ name: 'broken' });
    expect(failed).toMatchObject({ status: 'failed', error: 'no validation examples' });
    expect(failed.finishedAt).not.toBeNull();
  });

  it('a tracked training records its pid and host, and beats its heart (durationMs so far) while it runs', async () => {
    let during: Run | undefined;
    await trackTraining(
      store,
      { name: 'beating' },
      async () => {
        for (let i = 0; i < 500 && !during?.durationMs; i++) {
          await new Promise((r) => setTimeout(r, 10));
          [during] = await store.listRuns({ name: 'beating' });
        }
        return result;
      },
      { heartbeatMs: 20 },
    );
    expect(during).toMatchObject({ status: 'running', environment: { pid: process.pid, host: hostname() } });
    expect(during!.durationMs).toBeGreaterThan(0);
  });
});

describe('compareRuns', () => {
  const run = (over: Partial<Run>): Run => ({
    id: 'a',
    name: 'tickets',
    status: 'finished',
    params: { seed: 1, training: { learningRate: 0.01, epochs: 30 }, embedder: { name: 'hashed' } },
    data: { hash: 'd1', report: null },
    metrics: { valAccuracy: 0.8, valCoverage: 0.5, trainSeconds: 2 },
    perIntent: {},
    durationMs: 2000,
    codeVersion: 'c1',
    environment: { node: 'v20', platform: 'linux', arch: 'x64', cpus: 2 },
    bundle: null,
    tags: {},
    error: null,
    createdAt: '2025-01-01T00:00:00.000Z',
    finishedAt: '2025-01-01T00:00:02.000Z',
    ...over,
  });

  it('computes B − A per metric, with missing sides as null', () => {
    const a = run({});
    const b = run({ id: 'b', metrics: { valAccuracy: 0.9, valCoverage: 0.5, testAccuracy: 0.85 } });
    const c = compareRuns(a, b);
    expect(c.metrics).toEqual([
      { name: 'testAccuracy', a: null, b: 0.85, delta: null, relative: null },
      { name: 'trainSeconds', a: 2, b: null, delta: null, relative: null },
      { name: 'valAccuracy', a: 0.8, b: 0.9, delta: expect.closeTo(0.1, 12), relative: expect.closeTo(0.125, 12) },
      { name: 'valCoverage', a: 0.5, b: 0.5, delta: 0, relative: 0 },
    ]);
    expect(c.perIntent).toBeNull();
    expect([c.sameData, c.sameCode]).toEqual([true, true]);
  });

  it('lists the parameters that differ by dotted path', () => {
    const c = compareRuns(run({}), run({ id: 'b', params: { seed: 2, training: { learningRate: 0.01, epochs: 40 }, embedder: { name: 'hashed' }, extra: [1, 2] }, data: { hash: 'd2', report: null }, codeVersion: null }));
    expect(c.params).toEqual([
      { key: 'extra', a: undefined, b: [1, 2] },
      { key: 'seed', a: 1, b: 2 },
      { key: 'training.epochs', a: 30, b: 40 },
    ]);
    expect([c.sameData, c.sameCode]).toEqual([false, false]);
  });

  it('adds per-intent deltas when both runs have them, over the union of intents', () => {
    const a = run({ perIntent: { billing: { f1: 0.8, recall: 0.7 }, login: { f1: 0.9, recall: 1 } } });
    const b = run({ id: 'b', perIntent: { billing: { f1: 0.85, recall: 0.7 }, shipping: { f1: 0.6, recall: 0.5 } } });
    const c = compareRuns(a, b);
    expect(c.perIntent!.map((i) => i.intent)).toEqual(['billing', 'login', 'shipping']);
    expect(c.perIntent![0].metrics.find((m) => m.name === 'f1')!.delta).toBeCloseTo(0.05, 12);
    expect(c.perIntent![1].metrics.find((m) => m.name === 'f1')).toMatchObject({ a: 0.9, b: null, delta: null });
    expect(compareRuns(a, run({ id: 'b' })).perIntent).toBeNull();
    const text = formatComparison(c);
    expect(text).toMatch(/valAccuracy\s+0\.8000\s+0\.8000\s+0/);
    expect(text).toMatch(/per-intent Δ \(B−A\)/);
    expect(text).toMatch(/billing\s+\+0\.0500\s+0/);
    expect(text).toMatch(/shipping\s+—\s+—/);
  });
});
