import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteRedisKeys, REDIS_URL, requireRedis, uniqueId } from '../../../test/helpers/real-services.js';
import { metric, sampleModel } from '../../../test/helpers/serving.js';
import { rejection } from '../../../test/helpers/sample.js';
import { createLlm } from '../../adapters/llm/index.js';
import { openSpendCounter } from '../../adapters/spend/index.js';
import { openReviewStore } from '../../adapters/review-store/index.js';
import type { Llm } from '../../ports/llm.js';
import type { ReviewStore } from '../../ports/review-store.js';
import { loadConfig } from '../config.js';
import { openModel } from '../container/index.js';
import { startFakeLlm, type FakeLlm } from '../dev/fake-llm-server.js';
import { LlmBudget } from './budget.js';
import { ClassifyService } from '../classify/service.js';
import type { IntentModel } from '../classify/model.js';
import { AlertDispatcher } from './monitor.js';
import { logSink } from '../../../test/helpers/capture.js';

/** Messages the sample model is unsure of: they go to the LLM when one is configured. */
// the last two are unsure but in scope (the greetings before them are out of scope, which a capped budget
// reports as such rather than as llm_budget)
const UNSURE = ['hmm ok', 'well then', 'so anyway', 'ok ok ok', 'something is wrong with my order', 'can you help me with my order'];
/** 1000 prompt + 10 completion tokens of gpt-4o-mini: $0.000156 a call. */
const CALL = { intent: 'payment_issue', usage: { promptTokens: 1000, completionTokens: 10 } };
const CALL_USD = (1000 * 0.15 + 10 * 0.6) / 1e6;


let fake: FakeLlm;
let llm: Llm;
let model: IntentModel;
let review: ReviewStore;
beforeAll(async () => {
  fake = await startFakeLlm();
  llm = await createLlm('openai-chat', { baseUrl: fake.baseUrl, model: 'gpt-4o-mini', maxRetries: 0, timeoutMs: 2000 });
  model = await openModel(await sampleModel(), loadConfig({}));
  review = await openReviewStore('sqlite::memory:');
});
afterAll(async () => {
  await review.close();
  await fake.close();
});

describe('daily LLM budget with a hard cap (real LLM adapter against the fake LLM server)', () => {
  it('alerts at the share, then sends unsure messages to review with reason llm_budget without calling the LLM', async () => {
    const { log, entries } = logSink();
    const registry = new Registry();
    const sink = new AlertDispatcher({ log, registry, cooldownMinutes: 60 });
    // 3 calls = 94 % of the budget (alert at 80 %), the 4th crosses 100 %
    const budget = new LlmBudget(await openSpendCounter('memory'), { dailyUsd: 0.0005, alertShare: 0.8, hardCap: true, sink, log });
    budget.registerMetrics(registry);
    const service = new ClassifyService({ model: () => model, llm: budget.wrap(llm), review });
    fake.script({ ...CALL, times: 10 });
    const before = fake.requests.length;

    const first = [];
    for (const text of UNSURE.slice(0, 2)) first.push(await service.classify({ text }));
    expect(first.map((r) => [r.route, r.reason])).toEqual([
      ['llm', 'llm_answered'],
      ['llm', 'llm_answered'],
    ]);
    expect(entries().filter((e) => (e.alert as { kind?: string })?.kind)).toEqual([]);

    const third = await service.classify({ text: UNSURE[2] });
    expect(third.route).toBe('llm');
    const warned = entries().filter((e) => (e.alert as { kind?: string })?.kind === 'llm_budget');
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ level: 40, alert: { severity: 'warn', threshold: 0.0004 } });
    expect(warned[0].msg).toMatch(/^\$0\.000468 of the \$0\.000500 daily LLM budget spent on \d{4}-\d{2}-\d{2} \(94 %, alert at 80 %\)$/);

    const fourth = await service.classify({ text: UNSURE[3] });
    expect(fourth.route).toBe('llm'); // the call that crosses the budget still completes
    const exhausted = entries().filter((e) => (e.alert as { kind?: string })?.kind === 'llm_budget_exhausted');
    expect(exhausted).toHaveLength(1);
    expect(exhausted[0].msg).toMatch(/unsure messages go to review until the day ends/);
    expect(fake.requests.length - before).toBe(4);

    const capped = [await service.classify({ text: UNSURE[4] }), await service.classify({ text: UNSURE[5] })];
    expect(capped.map((r) => [r.route, r.reason])).toEqual([
      ['review', 'llm_budget'],
      ['review', 'llm_budget'],
    ]);
    expect(capped[0].llm).toBeUndefined();
    expect(capped[0].review?.id).toBeDefined();
    expect((await review.get(capped[0].review!.id))?.reason).toBe('llm_budget');
    expect(fake.requests.length - before).toBe(4);
    // a confident message is still answered by the model
    expect((await service.classify({ text: 'where is my parcel? tracking shows nothing' })).route).toBe('accepted');

    const status = await budget.status();
    expect(status).toMatchObject({ budgetUsd: 0.0005, hardCap: true, capped: true, alertShare: 0.8 });
    expect(status.spentUsd).toBeCloseTo(4 * CALL_USD, 12);
    const text = await registry.metrics();
    expect(metric(text, 'intentops_llm_spend_usd_today')).toBeCloseTo(4 * CALL_USD, 12);
    expect(metric(text, 'intentops_llm_budget_usd')).toBe(0.0005);
    expect(metric(text, 'intentops_llm_budget_capped')).toBe(1);
    expect(metric(text, 'intentops_alerts_total{kind="llm_budget",severity="warn"}')).toBe(1);
    expect(metric(text, 'intentops_alerts_total{kind="llm_budget_exhausted",severity="alert"}')).toBe(1);
    await budget.close();
  });

  it('without the hard cap the LLM is still called over budget; the over-budget alert fires once a day', async () => {
    const sent: string[] = [];
    const budget = new LlmBudget(await openSpendCounter('memory'), { dailyUsd: 0.0002, hardCap: false, sink: { emit: (a) => sent.push(...a.map((x) => x.kind)) } });
    const service = new ClassifyService({ model: () => model, llm: budget.wrap(llm) });
    fake.script({ ...CALL, times: 3 });
    const out = [];
    for (const text of UNSURE.slice(0, 3)) out.push(await service.classify({ text }));
    expect(out.map((r) => r.reason)).toEqual(['llm_answered', 'llm_answered', 'llm_answered']);
    expect(sent).toEqual(['llm_budget_exhausted']);
    expect(await budget.status()).toMatchObject({ capped: false, hardCap: false });
  });

  it('a new budget day starts from zero, in the configured time zone', async () => {
    let now = Date.UTC(2025, 0, 31, 22, 30);
    const counter = await openSpendCounter('memory');
    const utc = new LlmBudget(counter, { dailyUsd: 1, hardCap: true, now: () => now });
    const berlin = new LlmBudget(counter, { dailyUsd: 1, timeZone: 'Europe/Berlin', now: () => now });
    expect(utc.dayOf(now)).toBe('2025-01-31');
    expect(berlin.dayOf(now)).toBe('2025-01-31');
    now += 60 * 60_000; // 23:30 UTC = 00:30 in Berlin
    expect(berlin.dayOf(now)).toBe('2025-02-01');
    await utc.record(1.5);
    expect(await utc.status()).toMatchObject({ day: '2025-01-31', capped: true });
    now += 60 * 60_000;
    expect(await utc.status()).toMatchObject({ day: '2025-02-01', spentUsd: 0, capped: false });
  });

  it('rejects a budget that is not positive, a bad alert share or an unknown time zone', () => {
    const counter = { add: async () => 0, get: async () => 0, close: async () => undefined };
    expect(() => new LlmBudget(counter, { dailyUsd: 0 })).toThrow(/must be > 0/);
    expect(() => new LlmBudget(counter, { dailyUsd: 1, alertShare: 1.5 })).toThrow(/alert share/);
    expect(() => new LlmBudget(counter, { dailyUsd: 1, timeZone: 'Mars/Olympus' })).toThrow(/unknown time zone/);
  });

  it('a spend counter that fails does not stop the LLM: the last known spend is used, and the failure logged once a minute', async () => {
    const { log, entries } = logSink();
    let now = Date.UTC(2025, 0, 31, 9);
    const counter = await openSpendCounter('memory');
    const budget = new LlmBudget(counter, { dailyUsd: 1, hardCap: true, log, now: () => now });
    await budget.record(0.25);
    await counter.close(); // every call now fails with 'unavailable'
    fake.script({ ...CALL, times: 2 });
    const service = new ClassifyService({ model: () => model, llm: budget.wrap(llm) });
    expect((await service.classify({ text: UNSURE[0] })).route).toBe('llm');
    expect((await budget.status()).spentUsd).toBeCloseTo(0.25 + CALL_USD, 12);
    const warnings = () => entries().filter((e) => e.level === 40).map((e) => e.msg);
    expect(warnings()).toEqual(['LLM spend counter unavailable; using the last known spend']);
    now += 61_000;
    expect((await service.classify({ text: UNSURE[1] })).route).toBe('llm');
    expect(warnings()).toEqual(['LLM spend counter unavailable; using the last known spend', 'LLM spend counter unavailable; using the last known spend']);
    await budget.record(0.1);
    now += 61_000;
    await budget.record(0.1);
    expect(warnings().at(-1)).toBe('LLM spend counter unavailable; counting this process only');
    expect((await budget.status()).spentUsd).toBeCloseTo(0.45 + 2 * CALL_USD, 12);
  });
});

describe('a budget shared by replicas through Redis (real server)', () => {
  const prefix = `intentops-test:${uniqueId()}:spend:`;
  afterAll(() => deleteRedisKeys(prefix));

  it('one replica spending the budget caps the other', async () => {
    await requireRedis();
    const [a, b] = [await openSpendCounter(REDIS_URL, { keyPrefix: prefix }), await openSpendCounter(REDIS_URL, { keyPrefix: prefix })];
    const replicaA = new LlmBudget(a, { dailyUsd: 0.0003, hardCap: true });
    const replicaB = new LlmBudget(b, { dailyUsd: 0.0003, hardCap: true });
    fake.script({ ...CALL, times: 2 });
    const serviceA = new ClassifyService({ model: () => model, llm: replicaA.wrap(llm) });
    const serviceB = new ClassifyService({ model: () => model, llm: replicaB.wrap(llm) });
    expect((await serviceA.classify({ text: UNSURE[0] })).route).toBe('llm');
    expect((await serviceA.classify({ text: UNSURE[1] })).route).toBe('llm');
    const r = await serviceB.classify({ text: UNSURE[2] });
    expect([r.route, r.reason]).toEqual(['review', 'llm_budget']);
    expect((await replicaB.status()).spentUsd).toBeCloseTo(2 * CALL_USD, 12);
    await Promise.all([replicaA.close(), replicaB.close()]);
  });

  it('fails loudly when Redis is not there', async () => {
    expect((await rejection(openSpendCounter('redis://127.0.0.1:1/0'))).code).toBe('unavailable');
  });
});
