import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleModel } from '../../../test/helpers/serving.js';
import { rejection, SAMPLE_TEST } from '../../../test/helpers/sample.js';
import { openPredictionLog } from '../../adapters/prediction-log/index.js';
import { DEFAULT_THRESHOLDS } from '../../core/monitor/index.js';
import type { PredictionLog, PredictionRecord } from '../../ports/prediction-log.js';
import { loadConfig } from '../config.js';
import { openModel } from '../container/index.js';
import { ClassifyService, type ClassifyInput, type ClassifyResult } from '../classify/service.js';
import { loadExamples } from './dataset.js';
import type { IntentModel } from '../classify/model.js';
import { formatMonitorReport, monitorReport, parseSince, readPeriod } from './monitor-report.js';
import { MonitorService, type MonitorSettings } from './monitor.js';
import { PredictionRecorder } from './prediction-recorder.js';

const SETTINGS: MonitorSettings = { windowMinutes: 60, minSamples: 50, sampleRate: 0.5, baselineSamples: 60, thresholds: DEFAULT_THRESHOLDS };
const ALIEN = Array.from({ length: 80 }, (_, i) => `zorblat quenvik ${['drummox', 'plinth', 'vexalor', 'snarfle'][i % 4]} tramvek ${i} glorp`);

let model: IntentModel;
let texts: string[];
beforeAll(async () => {
  model = await openModel(await sampleModel(), loadConfig({}));
  texts = (await loadExamples(SAMPLE_TEST)).examples.map((e) => e.text);
});

/**
 * The serving path: ClassifyService → the monitor and the prediction recorder (features hook =
 * the monitor's) → the real SQLite prediction log. Returns the live monitor for comparison.
 */
let runs = 0;

async function serve(log: PredictionLog, batches: readonly string[][], at: () => number): Promise<{ monitor: MonitorService; results: ClassifyResult[] }> {
  const monitor = await MonitorService.forModel(model, SETTINGS, { now: at });
  // nothing is flushed before close (150 records < batchSize 500): a flush while the monitor is
  // still embedding its samples would store them without centroid distances (seen on a loaded CI)
  const recorder = new PredictionRecorder({ log, features: (i, r) => monitor.features(i, r), now: at, flushMs: 600_000 });
  const observer = {
    onResult(r: ClassifyResult, i: ClassifyInput) {
      monitor.onResult(r, i);
      recorder.onResult(r, i);
    },
  };
  const service = new ClassifyService({ model: () => model, observer });
  const results: ClassifyResult[] = [];
  // fixed ids: which messages the monitor samples (a hash of the id) is the same on every run
  const run = ++runs;
  let n = 0;
  for (const b of batches) results.push(...(await service.classifyBatch(b.map((text) => ({ text, id: `r${run}-m${n++}` })))));
  await monitor.idle(); // sampled embeddings settle before the recorder flushes
  await recorder.close();
  return { monitor, results };
}

describe('monitorReport over the real SQLite prediction log', () => {
  let log: PredictionLog;
  const T = Date.UTC(2025, 0, 15, 12);
  beforeAll(async () => {
    log = await openPredictionLog('sqlite::memory:');
  });
  afterAll(() => log.close());

  it('recomputes the figures the server showed for the same traffic', async () => {
    // a clock that moves 1 ms per reading: records are logged in the order the monitor saw them
    let t = T;
    const { monitor } = await serve(log, [texts], () => t++);
    const live = monitor.snapshot();
    const r = await monitorReport({ log, model, since: '2025-01-15T00:00:00Z', until: '2025-01-16T00:00:00Z', ...SETTINGS });
    expect(r.model).toEqual(live.model);
    expect(r.records.used).toBe(texts.length);
    const f = r.figures;
    expect(f.window.samples).toBe(live.figures.window.samples);
    expect(f.window.sampled).toBe(live.figures.window.sampled);
    expect(f.labels!.psi).toBeCloseTo(live.figures.labels!.psi, 12);
    expect(f.labels!.chi2.pValue).toBeCloseTo(live.figures.labels!.chi2.pValue, 12);
    expect(f.routes).toEqual(live.figures.routes);
    expect(f.confidence!.psi).toBeCloseTo(live.figures.confidence!.psi, 12);
    expect(f.oov!.share).toBeCloseTo(live.figures.oov!.share, 12);
    expect(f.centroid!.ratio).toBeCloseTo(live.figures.centroid!.ratio, 6);
    // the bundle's confidence reference comes from cross-fitted folds (paraphrases kept apart),
    // which are less sure than the model fitted on everything: on 150 messages of its own test set
    // the confidence PSI can sit at the warning line (0.21 against 0.2), never at the alert level
    expect(r.alerts.filter((a) => a.severity === 'alert')).toEqual([]);
    expect(r.alerts.every((a) => a.kind === 'confidence_psi' && a.value < 0.25)).toBe(true);
    const table = formatMonitorReport(r);
    expect(table).toMatch(/^monitor report: sample \(version [0-9a-f]{12}\), champion$/m);
    expect(table).toMatch(/^label PSI\s+0\.\d{3}\s+0\s+0\.2 \/ 0\.25\s+ok$/m);
    expect(table).toMatch(/^llm \+ review share\s+\d+\.\d %/m);
    expect(table).toMatch(r.alerts.length ? /^alerts \(1\):$/m : /^alerts: none$/m);
  });

  it('raises the alerts of a drifting period, leaves other versions out, and sums LLM spend per day', async () => {
    await serve(log, [ALIEN, ALIEN], () => Date.UTC(2025, 0, 20, 9));
    // another model version's records and an LLM-answered record in the period
    const base: PredictionRecord = { id: 'x1', at: '2025-01-20T10:00:00.000Z', model: { name: 'sample', version: 'ffffffffffff' }, variant: 'champion', intent: 'delivery', confidence: 0.9, route: 'accepted', reason: 'confident', cached: false, latencyMs: 1 };
    const llm = { model: 'gpt-4o-mini', promptTokens: 1000, completionTokens: 10, costUsd: 0.25 };
    const version = (await monitorReport({ log, model, since: '2025-01-15T00:00:00Z', until: '2025-01-16T00:00:00Z', ...SETTINGS })).model.version;
    await log.append([
      base,
      { ...base, id: 'x2' },
      { ...base, id: 'l1', model: { name: 'sample', version }, route: 'llm', reason: 'llm_answered', llm },
      { ...base, id: 'l2', at: '2025-01-21T01:00:00.000Z', model: { name: 'sample', version }, route: 'llm', reason: 'llm_answered', llm },
    ]);
    const r = await monitorReport({ log, model, since: '2025-01-20T00:00:00Z', until: '2025-01-22T00:00:00Z', ...SETTINGS, budget: { dailyUsd: 1 } });
    expect(r.records.used).toBe(2 * ALIEN.length + 2);
    expect(r.records.otherVersions).toEqual({ 'sample@ffffffffffff': 2 });
    const kinds = r.alerts.map((a) => `${a.kind}:${a.severity}`);
    expect(kinds).toContain('oov_share:alert');
    // everything went to review; how far above the expected share that is depends on the bundle's coverage
    expect(kinds.some((k) => k.startsWith('fallback_share:'))).toBe(true);
    expect(r.llm.costUsd).toBeCloseTo(0.5, 12);
    expect(r.llm.days).toEqual([
      { day: '2025-01-20', costUsd: 0.25, share: 0.25 },
      { day: '2025-01-21', costUsd: 0.25, share: 0.25 },
    ]);
    const table = formatMonitorReport(r);
    expect(table).toMatch(/other versions left out: sample@ffffffffffff \(2\)/);
    expect(table).toMatch(/^OOV share \(sampled\)\s+\d+\.\d %.*ALERT$/m);
    expect(table).toMatch(/^ {2}ALERT oov_share: /m);
    expect(table).toMatch(/2025-01-20 {2}\$0\.2500 {2}25\.0 % of the daily budget/);
    // every version, on request
    expect((await monitorReport({ log, model, since: '2025-01-20T00:00:00Z', until: '2025-01-22T00:00:00Z', ...SETTINGS, allVersions: true })).records.used).toBe(2 * ALIEN.length + 4);
  });

  it('an empty period has no figures and says so', async () => {
    const r = await monitorReport({ log, model, since: '2024-01-01T00:00:00Z', until: '2024-01-02T00:00:00Z', ...SETTINGS });
    expect(r.records.used).toBe(0);
    expect(r.alerts).toEqual([]);
    expect(formatMonitorReport(r)).toMatch(/^confidence PSI\s+–/m);
    expect((await rejection(monitorReport({ log, model, since: '2024-01-02T00:00:00Z', until: '2024-01-01T00:00:00Z', ...SETTINGS }))).code).toBe('invalid_input');
  });
});

describe('readPeriod', () => {
  it('pages through records, including more records in one millisecond than a page holds', async () => {
    const log = await openPredictionLog('sqlite::memory:');
    const rec = (id: string, at: string): PredictionRecord => ({ id, at, model: { name: 'm', version: 'v' }, variant: 'champion', intent: 'a', confidence: 0.9, route: 'accepted', reason: 'confident', cached: false, latencyMs: 1 });
    const same = Array.from({ length: 7 }, (_, i) => rec(`s${i}`, '2025-01-01T00:00:01.000Z'));
    const want = [rec('a', '2025-01-01T00:00:00.000Z'), ...same, rec('b', '2025-01-01T00:00:01.001Z'), rec('c', '2025-01-01T00:00:02.000Z'), rec('d', '2025-01-01T00:00:03.000Z')];
    await log.append([...want, rec('late', '2025-01-01T00:00:09.000Z'), { ...rec('shadow', '2025-01-01T00:00:02.500Z'), variant: 'shadow' }]);
    for (const pageSize of [1, 2, 3, 5, 100]) {
      const got: string[] = [];
      for await (const r of readPeriod(log, { since: '2025-01-01T00:00:00.000Z', until: '2025-01-01T00:00:05.000Z', variant: 'champion' }, pageSize)) got.push(r.id);
      expect(got).toEqual(want.map((r) => r.id));
    }
    await log.close();
  });
});

describe('parseSince', () => {
  it('reads durations before now and ISO times', () => {
    const now = Date.UTC(2025, 0, 2, 12);
    expect(parseSince('24h', now)).toBe('2025-01-01T12:00:00.000Z');
    expect(parseSince('30m', now)).toBe('2025-01-02T11:30:00.000Z');
    expect(parseSince('7d', now)).toBe('2024-12-26T12:00:00.000Z');
    expect(parseSince('2025-01-01T00:00:00+01:00', now)).toBe('2024-12-31T23:00:00.000Z');
    expect(() => parseSince('yesterday', now)).toThrow(/cannot read "yesterday" as a time/);
  });
});
