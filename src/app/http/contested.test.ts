import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlm, type FakeLlm } from '../dev/fake-llm-server.js';
import { loadExamples } from '../services/dataset.js';
import { SAMPLE_TRAIN } from '../../../test/helpers/sample.js';
import { classifyOne as classify, metric, testServing, type TestServing } from '../../../test/helpers/serving.js';

/** Messages the sample model is unsure of (candidates: the test takes one the novelty detector does not flag). */
const UNSURE = ['something is wrong with my order', 'can you help me with my order', 'I have a question about my account', 'hmm ok', 'well then'];

/** A training message of `intent` that a server (without the guard) accepts, if any. */
async function acceptedExample(server: TestServing, intent: string): Promise<string | undefined> {
  for (const e of (await loadExamples(SAMPLE_TRAIN)).examples.filter((x) => x.label === intent)) {
    if ((await classify(server, e.text)).route === 'accepted') return e.text;
  }
  return undefined;
}

/**
 * Contested intents through the real serving stack: when the LLM answers a message the model
 * guessed as intent X with an intent the model does not have (a new intent in the traffic), X's
 * confident messages go to the LLM too, where a server without the guard accepts them.
 */
describe('contested intents (llm.contested)', () => {
  let fake: FakeLlm;
  let s: TestServing;
  let off: TestServing;
  let cached: TestServing;
  beforeAll(async () => {
    fake = await startFakeLlm();
    const llm = (contested: Record<string, unknown>) => ({ llm: { provider: 'openai-chat', baseUrl: fake.baseUrl, model: 'gpt-4o-mini', maxRetries: 0, timeoutMs: 2000, circuit: { failureThreshold: 100 }, contested } });
    // one unknown answer is enough here (the default needs 3 of the latest 20, at least 20 %)
    s = await testServing({ flags: { ...llm({ minUnknown: 1, minShare: 0 }), review: { uri: 'sqlite::memory:', outOfScopeSampleRate: 0 }, cache: { uri: 'none' } } });
    off = await testServing({ flags: { ...llm({ enabled: false }), review: { uri: 'sqlite::memory:', outOfScopeSampleRate: 0 }, cache: { uri: 'none' } } });
    cached = await testServing({ flags: { ...llm({ minUnknown: 1, minShare: 0 }), review: { uri: 'sqlite::memory:', outOfScopeSampleRate: 0 }, cache: { uri: 'memory' } } });
  });
  afterAll(async () => {
    await s?.close();
    await off?.close();
    await cached?.close();
    await fake?.close();
  });

  it('an LLM answer naming an intent the model lacks contests the guessed intent: its confident messages go to the LLM', async () => {
    // the LLM names an intent the model does not have (as a new intent's messages make it do)
    let guessed: string | undefined;
    for (const text of UNSURE) {
      fake.script({ intent: 'loyalty_points' });
      const r = await classify(s, text);
      expect(r).toMatchObject({ route: 'review', reason: 'llm_failed' });
      const item = ((await (await s.get('/v1/review?state=open&limit=100')).json()).items as { id: string; reason: string }[]).find((i) => i.id === r.review?.id);
      // a message the novelty detector flagged out of scope is no evidence about its guess
      if (item?.reason !== 'out_of_scope') {
        guessed = r.local.intent;
        break;
      }
    }
    expect(guessed).toBeDefined();
    expect(s.logs.some((l) => l.msg?.toString().startsWith('intent contested') && l.intent === guessed)).toBe(true);

    // a training message of that intent: confident, accepted by the server without the guard …
    const sure = await acceptedExample(off, guessed!);
    expect(sure).toBeDefined();
    // … and asked of the LLM by the one whose guess is contested
    const calls = fake.requests.length;
    fake.script({ intent: guessed! });
    const r = await classify(s, sure!);
    expect(r).toMatchObject({ route: 'llm', reason: 'llm_answered', intent: guessed });
    expect(r.local).toMatchObject({ intent: guessed, reason: 'contested' });
    expect(fake.requests.length).toBe(calls + 1);
    expect(metric(await (await s.get('/metrics')).text(), 'intentops_contested_total')).toBe(1);
    expect((await classify(off, sure!)).local.reason).toBe('confident');
    // the LLM's prompt had the nearest examples (searched as for any message not accepted)
    expect(JSON.stringify(fake.requests.at(-1)!.body)).toContain(guessed!);
  });

  it('a cached confident answer of an intent that becomes contested is asked again, not served from the cache', async () => {
    // the guess of an unsure message, from the server without the guard (nothing recorded here)
    let unsure: string | undefined;
    let guessed: string | undefined;
    for (const text of UNSURE) {
      fake.script({ intent: 'loyalty_points' });
      const r = await classify(off, text);
      if (r.local.reason !== 'out_of_scope') {
        [unsure, guessed] = [text, r.local.intent];
        break;
      }
    }
    expect(guessed).toBeDefined();
    const sure = await acceptedExample(off, guessed!);
    expect(sure).toBeDefined();

    // accepted and cached before the intent is contested
    expect(await classify(cached, sure!)).toMatchObject({ route: 'accepted', intent: guessed, cached: false });
    expect(await classify(cached, sure!)).toMatchObject({ route: 'accepted', cached: true });
    fake.script({ intent: 'loyalty_points' });
    expect(await classify(cached, unsure!)).toMatchObject({ route: 'review', reason: 'llm_failed' });

    // now the cached accepted answer is not served: the LLM is asked, and its answer is cached
    const calls = fake.requests.length;
    fake.script({ intent: guessed! });
    expect(await classify(cached, sure!)).toMatchObject({ route: 'llm', intent: guessed, cached: false, local: { reason: 'contested' } });
    expect(fake.requests.length).toBe(calls + 1);
    expect(await classify(cached, sure!)).toMatchObject({ route: 'llm', cached: true });
    expect(fake.requests.length).toBe(calls + 1);
  });
});
