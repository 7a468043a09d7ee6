import { Hono } from 'hono';
import { beforeAll, describe, expect, it } from 'vitest';
import { sampleModel } from '../../../test/helpers/serving.js';
import { openSpendCounter } from '../../adapters/spend/index.js';
import { DEFAULT_THRESHOLDS } from '../../core/monitor/index.js';
import { loadConfig } from '../config.js';
import { openModel } from '../container/index.js';
import { LlmBudget } from '../services/budget.js';
import { ClassifyService } from '../classify/service.js';
import type { IntentModel } from '../classify/model.js';
import { MonitorService } from '../services/monitor.js';
import { problemResponse, toProblem } from './problem.js';
import { monitorRoutes } from './routes/monitor.js';
import type { Env } from './types.js';

function app(monitor: () => MonitorService | undefined, budget?: LlmBudget): Hono<Env> {
  const a = new Hono<Env>();
  a.route('/', monitorRoutes(monitor, budget));
  a.onError((e, c) => problemResponse(c, toProblem(e)));
  return a;
}

const TEXTS = ['where is my parcel? tracking shows nothing', 'Ich kann mich nicht einloggen', 'I was charged twice for my order', 'hmm ok'];

let model: IntentModel;
beforeAll(async () => {
  model = await openModel(await sampleModel(), loadConfig({}));
});

describe('GET /v1/monitor', () => {
  it('returns the window figures, alerts and today’s LLM budget', async () => {
    const monitor = await MonitorService.forModel(model, { windowMinutes: 60, minSamples: 2, sampleRate: 1, baselineSamples: 1000, thresholds: DEFAULT_THRESHOLDS });
    const budget = new LlmBudget(await openSpendCounter('memory'), { dailyUsd: 2, hardCap: true });
    await budget.record(0.5);
    const service = new ClassifyService({ model: () => model, observer: monitor });
    const results = await service.classifyBatch(TEXTS.map((text) => ({ text })));
    await monitor.idle();
    const res = await app(() => monitor, budget).request('/v1/monitor');
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.model).toEqual(results[0].model);
    expect(body.settings).toEqual({ windowMinutes: 60, minSamples: 2, sampleRate: 1 });
    expect(body.profile).toMatchObject({ examples: model.examples.length, labels: model.labels.length, confidenceReference: 'held-out' });
    expect(body.figures.window).toMatchObject({ samples: 4, sampled: 4 });
    expect(body.figures.routes.accepted).toBeCloseTo(results.filter((r) => r.route === 'accepted').length / 4, 12);
    expect(body.figures.labels.chi2.df).toBe(model.labels.length - 1);
    expect(Array.isArray(body.alerts)).toBe(true);
    expect(body.budget).toMatchObject({ spentUsd: 0.5, budgetUsd: 2, share: 0.25, alertShare: 0.8, hardCap: true, capped: false });
    expect(body.budget.day).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('reports the budget alone while monitoring is off; 503 with neither', async () => {
    const budget = new LlmBudget(await openSpendCounter('memory'), { dailyUsd: 1 });
    const res = await app(() => undefined, budget).request('/v1/monitor');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ model: null, figures: null, alerts: [], budget: { spentUsd: 0, capped: false } });
    const off = await app(() => undefined).request('/v1/monitor');
    expect(off.status).toBe(503);
    expect(off.headers.get('content-type')).toBe('application/problem+json');
    expect(off.headers.get('retry-after')).toBe('5');
    expect((await off.json()).type).toBe('urn:intentops:problem:monitor-disabled');
  });
});
