import { afterEach, describe, expect, it } from 'vitest';
import { openPredictionLog } from '../../adapters/prediction-log/index.js';
import { createRedactor } from '../../core/privacy/index.js';
import { IntentOpsError } from '../../core/errors.js';
import type { PredictionLog, PredictionRecord } from '../../ports/prediction-log.js';
import { sampleModel } from '../../../test/helpers/serving.js';
import { ClassifyService, type ClassifyResult } from '../classify/service.js';
import { modelFromBundle } from '../container/index.js';
import { readBundle } from '../../adapters/bundle/index.js';
import { hashSubject, PredictionRecorder } from './prediction-recorder.js';
import { openSpool } from '../../adapters/spool.js';
import { tempDir } from '../../../test/helpers/sample.js';

function result(n: number, over: Partial<ClassifyResult> = {}): ClassifyResult {
  return {
    id: `r${n}`,
    intent: 'billing',
    confidence: 0.9,
    local: { intent: 'billing', confidence: 0.9 },
    route: 'accepted',
    reason: 'confident',
    outOfScope: false,
    alternatives: [{ intent: 'billing', score: 0.9 }],
    neighbours: [],
    model: { name: 'tickets', version: 'abc123' },
    variant: 'champion',
    cached: false,
    timings: { modelMs: 1, llmMs: 0, totalMs: 1.5 + n },
    ...over,
  };
}

/** Resolves once `cond` holds, checking after each turn of the event loop (no wall-clock waits). */
async function until(cond: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100_000; i++) {
    if (await cond()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error('condition never held');
}

/** A real log whose appends wait until `open()` is called (a store that has fallen behind). */
function gated(log: PredictionLog) {
  let release: () => void = () => undefined;
  let gate = new Promise<void>((r) => (release = r));
  let calls = 0;
  return {
    log: {
      append: async (records: readonly PredictionRecord[]) => {
        calls++;
        await gate;
        return log.append(records);
      },
    },
    open: () => release(),
    close: () => (gate = new Promise<void>((r) => (release = r))),
    get calls() {
      return calls;
    },
  };
}

describe('PredictionRecorder', () => {
  const open: PredictionLog[] = [];
  const recorders: PredictionRecorder[] = [];
  afterEach(async () => {
    for (const r of recorders.splice(0)) await r.close();
    for (const l of open.splice(0)) await l.close();
  });
  async function memoryLog(): Promise<PredictionLog> {
    const log = await openPredictionLog('sqlite::memory:');
    open.push(log);
    return log;
  }
  function recorder(o: ConstructorParameters<typeof PredictionRecorder>[0]): PredictionRecorder {
    const r = new PredictionRecorder(o);
    recorders.push(r);
    return r;
  }

  it('records what the classify service answered: ids, routes, model; texts only when enabled and redacted; subjects hashed', async () => {
    const model = await modelFromBundle(readBundle(await sampleModel()), {});
    for (const storeTexts of [false, true]) {
      const log = await memoryLog();
      const rec = recorder({ log, storeTexts, flushMs: 60_000, now: () => Date.UTC(2025, 4, 1, 12) });
      const classify = new ClassifyService({ model: () => model, observer: rec });
      const answers = await classify.classifyBatch([
        { text: 'where is my parcel? tracking shows nothing', subject: 'ana' },
        { text: 'hmm ok, call me at +49 30 1234567 or max@example.com', id: 'mine-1' },
      ]);
      expect(rec.stats).toMatchObject({ buffered: 2, written: 0 });
      await rec.flush();
      const stored = await log.query();
      expect(stored.map((s) => s.id)).toEqual(answers.map((a) => a.id).sort());
      const unsure = (await log.get('mine-1'))!;
      expect(unsure).toMatchObject({ at: '2025-05-01T12:00:00.000Z', variant: 'champion', route: answers[1].route, intent: answers[1].intent, confidence: answers[1].confidence, model: answers[1].model, cached: false });
      expect(unsure.latencyMs).toBe(answers[1].timings.totalMs);
      const first = (await log.get(answers[0].id))!;
      expect(first.subject).toBe(hashSubject('ana'));
      expect(JSON.stringify(stored)).not.toMatch(/"ana"|1234567|max@example/);
      if (storeTexts) {
        expect(unsure.text).toBe('hmm ok, call me at [PHONE] or [EMAIL]');
        expect(first.text).toBe('where is my parcel? tracking shows nothing');
      } else {
        for (const s of stored) expect(s).not.toHaveProperty('text');
      }
    }
  });

  it('uses the configured redactor and feature hook; a failing hook is reported and the record kept', async () => {
    const log = await memoryLog();
    const errors: unknown[] = [];
    const rec = recorder({
      log,
      storeTexts: true,
      flushMs: 60_000,
      redact: createRedactor([{ name: 'customer_id', regex: 'KD-\\d{6}' }]),
      features: (input) => {
        if (input.text === 'boom') throw new Error('no centroid');
        return { oovShare: input.text.length / 100, centroidDistance: 0.25 };
      },
      onError: (e) => errors.push(e),
    });
    rec.onResult(result(1), { text: 'Kunde KD-123456 fragt' });
    rec.onResult(result(2, { variant: 'challenger' }), { text: 'boom' });
    await rec.flush();
    expect(await log.get('r1')).toMatchObject({ text: 'Kunde [CUSTOMER_ID] fragt', variant: 'champion', features: { oovShare: 0.21, centroidDistance: 0.25 } });
    const r2 = await log.get('r2', 'challenger');
    expect(r2).toBeDefined();
    expect(r2).not.toHaveProperty('features');
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe('no centroid');
  });

  it('stores LLM usage, latency and variant, and shadow scores under the answer’s id (text stored once)', async () => {
    const log = await memoryLog();
    const rec = recorder({ log, flushMs: 60_000, storeTexts: true, now: () => Date.UTC(2025, 4, 1, 12) });
    const answer = result(1, { route: 'llm', reason: 'llm_answered', llm: { model: 'gpt-4o-mini', variant: 'classify-v1', promptTokens: 300, completionTokens: 8, costUsd: 0.00005, latencyMs: 412 } });
    const input = { text: 'mail me: a@b.de' };
    rec.onResult(answer, input);
    rec.onShadow(answer, result(1, { variant: 'shadow', intent: 'refund', confidence: 0.7, local: { intent: 'refund', confidence: 0.7 }, model: { name: 'tickets', version: 'new' } }), input);
    await rec.flush();
    expect(await log.get('r1')).toMatchObject({ variant: 'champion', text: 'mail me: [EMAIL]', llm: { model: 'gpt-4o-mini', variant: 'classify-v1', promptTokens: 300, completionTokens: 8, costUsd: 0.00005, latencyMs: 412 } });
    expect(await log.get('r1', 'shadow')).toEqual({ id: 'r1', at: '2025-05-01T12:00:00.000Z', model: { name: 'tickets', version: 'new' }, variant: 'shadow', intent: 'refund', confidence: 0.7, route: 'accepted', reason: 'confident', cached: false, latencyMs: 2.5 });
  });

  it('writes a full batch at once, and the rest within flushMs', async () => {
    const log = await memoryLog();
    const batches: number[] = [];
    const rec = recorder({ log: { append: (rs) => (batches.push(rs.length), log.append(rs)) }, batchSize: 3, flushMs: 60_000 });
    for (let i = 0; i < 4; i++) rec.onResult(result(i), { text: 't' });
    await until(() => batches.length === 1);
    expect(batches).toEqual([3]);
    expect(rec.stats).toMatchObject({ buffered: 1, written: 3 });

    const timed = recorder({ log, flushMs: 5, batchSize: 500 });
    timed.onResult(result(10), { text: 't' });
    await until(async () => (await log.get('r10')) !== undefined);
    expect(timed.stats).toMatchObject({ buffered: 0, written: 1 });
  });

  it('never holds more than maxBuffered records: the oldest are dropped and counted; requests never wait', async () => {
    const g = gated(await memoryLog());
    const drops: number[] = [];
    const rec = recorder({ log: g.log, batchSize: 2, maxBuffered: 5, flushMs: 60_000, onError: (_e, n) => drops.push(n) });
    rec.onResult(result(0), { text: 't' });
    rec.onResult(result(1), { text: 't' });
    await until(() => g.calls === 1); // the first batch (r0, r1) is stuck in the store
    for (let i = 2; i < 20; i++) rec.onResult(result(i), { text: 't' });
    expect(rec.stats).toMatchObject({ buffered: 5, written: 0 });
    expect(rec.stats.dropped).toBe(20 - 2 - 5);
    g.open();
    await rec.flush();
    expect(drops).toEqual([13]); // reported together, not once per record
    expect(rec.stats).toMatchObject({ buffered: 0, written: 7, dropped: 13 });
    // the two in flight and the five newest survive, oldest first
    const ids = (await (open[0] as PredictionLog).query()).map((r) => r.id);
    expect(ids.sort()).toEqual(['r0', 'r1', 'r15', 'r16', 'r17', 'r18', 'r19'].sort());
  });

  it('a store that is unavailable gets the batch back later (nothing lost); a refused batch is dropped and reported', async () => {
    const down = await openPredictionLog('sqlite::memory:');
    await down.close(); // closed: every append fails with 'unavailable'
    const up = await memoryLog();
    let current: PredictionLog = down;
    const errors: IntentOpsError[] = [];
    const rec = recorder({ log: { append: (rs) => current.append(rs) }, flushMs: 60_000, onError: (e) => errors.push(e as IntentOpsError) });
    rec.onResult(result(1), { text: 't' });
    rec.onResult(result(2), { text: 't' });
    await rec.flush();
    expect(errors.map((e) => e.code)).toEqual(['unavailable']);
    expect(rec.stats).toMatchObject({ buffered: 2, written: 0, dropped: 0, failedBatches: 1 });
    current = up;
    await rec.flush();
    expect(rec.stats).toMatchObject({ buffered: 0, written: 2, dropped: 0 });
    expect((await up.query()).map((r) => r.id)).toEqual(['r1', 'r2']);

    rec.onResult(result(3, { confidence: Number.NaN, local: { intent: 'billing', confidence: Number.NaN } }), { text: 't' });
    await rec.flush();
    expect(errors[1].code).toBe('invalid_input');
    expect(rec.stats).toMatchObject({ buffered: 0, written: 2, dropped: 1, failedBatches: 2 });
  });

  it('close flushes what is buffered; later results are counted as dropped, never thrown', async () => {
    const log = await memoryLog();
    const errors: unknown[] = [];
    const rec = new PredictionRecorder({
      log,
      flushMs: 60_000,
      onError: (e) => {
        errors.push(e);
        throw new Error('the error handler itself fails');
      },
    });
    rec.onResult(result(1), { text: 't' });
    await rec.close();
    expect((await log.query()).map((r) => r.id)).toEqual(['r1']);
    expect(() => rec.onResult(result(2), { text: 't' })).not.toThrow();
    expect(rec.stats).toMatchObject({ written: 1, dropped: 1 });
    expect((errors[0] as IntentOpsError).message).toMatch(/closed/);
    await rec.close();
  });

  it('with a spool, records beyond the buffer wait there instead of being dropped, and are all written once the store is back', async () => {
    const g = gated(await memoryLog());
    const spool = openSpool<PredictionRecord>({ name: 'predictions', capacity: 10 });
    const rec = recorder({ log: g.log, batchSize: 2, maxBuffered: 5, flushMs: 60_000, spool });
    rec.onResult(result(0), { text: 't' });
    rec.onResult(result(1), { text: 't' });
    await until(() => g.calls === 1); // r0, r1 stuck in the store
    for (let i = 2; i < 20; i++) rec.onResult(result(i), { text: 't' });
    // 18 more: 5 in the buffer, the 10 oldest of the rest in the spool, 3 dropped (spool full)
    expect(rec.stats).toMatchObject({ buffered: 5, spooled: 10, dropped: 3, written: 0 });
    g.open();
    await rec.flush();
    expect(rec.stats).toMatchObject({ buffered: 0, spooled: 0, written: 17, dropped: 3 });
    const ids = (await (open[0] as PredictionLog).query()).map((r) => r.id).sort();
    // the spool took r2…r11, r12…r14 found it full, the buffer kept r15…r19
    expect(ids).toEqual(['r0', 'r1', ...Array.from({ length: 10 }, (_, i) => `r${i + 2}`), ...Array.from({ length: 5 }, (_, i) => `r${i + 15}`)].sort());
  });

  it('a log that is away at shutdown: the records go to the disk spool, and the next process writes them', async () => {
    const dir = tempDir('intentops-pred-spool-');
    const down = await openPredictionLog('sqlite::memory:');
    await down.close(); // every append fails with 'unavailable'
    const first = new PredictionRecorder({ log: down, flushMs: 60_000, spool: openSpool<PredictionRecord>({ dir, name: 'predictions', capacity: 100 }) });
    for (let i = 0; i < 3; i++) first.onResult(result(i), { text: 't' });
    await first.close();
    expect(first.stats).toMatchObject({ dropped: 0, spooled: 3 });
    const log = await memoryLog();
    const next = recorder({ log, flushMs: 10, spool: openSpool<PredictionRecord>({ dir, name: 'predictions', capacity: 100 }) });
    expect(next.stats.spooled).toBe(3);
    await until(async () => (await log.query()).length === 3);
    expect(next.stats).toMatchObject({ written: 3, spooled: 0, dropped: 0 });
  });
});
