import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/app/config.js';
import { openLoop, openRegistry, openServing, type Serving } from '../../src/app/container/index.js';
import { startFakeLlm, type FakeLlm } from '../../src/app/dev/fake-llm-server.js';
import type { ClassifyResult } from '../../src/app/classify/service.js';
import { loadExamples } from '../../src/app/services/dataset.js';
import type { LoopRunResult } from '../../src/app/services/loop.js';
import type { RolloutStatus } from '../../src/app/services/rollout.js';
import { createLogger } from '../../src/app/telemetry/index.js';
import { nearKey } from '../../src/core/dataset/index.js';
import { openReviewStore } from '../../src/adapters/review-store/index.js';
import { ROOT, SAMPLE_TEST, SAMPLE_TRAIN } from '../helpers/sample.js';
import { loopWorld, type LoopWorld } from '../helpers/loop-world.js';

/*
 * The loop end to end on the sample data: the serving stack (HTTP app, prediction log, review
 * queue, registry champion under rollout) with the fake LLM oracle as fallback; feedback and a
 * reviewer label messages; `loop run` retrains, gates against the champion, shadows the
 * challenger under real traffic, and promotes it, or stops with an alert.
 */

let world: LoopWorld;
let c: Config;
let fake: FakeLlm;
let serving: Serving;
const logLines: string[] = [];
const log = createLogger({ level: 'warn', destination: new Writable({ write: (chunk, _e, cb) => (logLines.push(String(chunk)), cb()) }) as never });

async function loop(config = c): Promise<LoopRunResult> {
  const { service, close } = await openLoop(config, { who: 'loop-test', log });
  try {
    return await service.run();
  } finally {
    await close();
  }
}

const post = async (path: string, body: unknown) => {
  const res = await serving.app.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status, `${path}: ${res.status}`).toBeLessThan(300);
  return (await res.json()) as Record<string, unknown>;
};
const rollout = async () => (await (await serving.app.request('/v1/rollout?analysis=true')).json()) as RolloutStatus;

/** Traffic through the HTTP app; every answer gets the customer's feedback naming the right intent. */
async function traffic(rows: readonly { text: string; label: string }[], feedback: boolean): Promise<ClassifyResult[]> {
  const out: ClassifyResult[] = [];
  for (const r of rows) {
    const a = (await post('/v1/classify', { text: r.text })) as unknown as ClassifyResult;
    out.push(a);
    if (feedback) await post('/v1/feedback', { predictionId: a.id, correctIntent: r.label });
  }
  return out;
}

/** The reviewer: labels every open review item from the gold labels. */
async function review(gold: ReadonlyMap<string, string>): Promise<number> {
  const store = await openReviewStore(c.review.uri);
  let n = 0;
  try {
    for (const item of await store.list({ state: 'open', limit: 1000 })) {
      const label = gold.get(item.text);
      if (!label) continue;
      await store.claim(item.id, 'reviewer');
      await store.resolve(item.id, 'reviewer', { label });
      n++;
    }
  } finally {
    await store.close();
  }
  return n;
}

async function until<T>(f: () => Promise<T>, cond: (x: T) => boolean, what: string): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const x = await f();
    if (cond(x)) return x;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`never happened: ${what}`);
}

describe('intentops loop: labels → retrain → gate → challenger → shadow → promote, through the serving stack', () => {
  let gold: Map<string, string>;
  let test: { text: string; label: string }[];

  beforeAll(async () => {
    const rows = [...(await loadExamples(SAMPLE_TRAIN)).examples, ...(await loadExamples(SAMPLE_TEST)).examples];
    gold = new Map(rows.map((e) => [e.text, e.label]));
    test = (await loadExamples(SAMPLE_TEST)).examples.map((e) => ({ text: e.text, label: e.label }));
    fake = await startFakeLlm({ oracle: { labels: gold, accuracy: 0.9, seed: 1 } });
    world = await loopWorld({ llm: { provider: 'openai-chat', baseUrl: fake.baseUrl, model: 'fake', apiKey: 'test' } });
    c = world.config;
    serving = await openServing(c, { modelDir: 'models:/tickets@champion', log });
  }, 120_000);
  afterAll(async () => {
    await serving?.close();
    await fake?.close();
  });

  it('stays idle, in one journal row, while there are fewer new labels than loop.minNewLabels', async () => {
    const a = await loop();
    const b = await loop();
    expect(a.status).toBe('idle');
    expect(b.status).toBe('idle');
    expect(b.iteration.id).toBe(a.iteration.id);
    expect(b.iteration.detail.checks).toBe(2);
    expect(a.message).toMatch(/0 new label\(s\).*loop\.minNewLabels \(20\)/);
  });

  it('retrains on feedback and review labels (test-set texts held out), shadows the challenger, then promotes it', async () => {
    // 120 messages with the customer's correction, 3 of them texts of the test set
    const leaked = test.slice(0, 3);
    const answers = await traffic([...world.traffic.slice(0, 117), ...leaked], true);
    expect(answers.some((a) => a.route === 'llm')).toBe(true);
    await review(gold);

    const first = await loop();
    expect(first.status).toBe('waiting');
    expect(first.steps).toEqual(['collect', 'retrain', 'shadow']);
    const it1 = first.iteration;
    expect(it1.version).toBe(2);
    expect(it1.baseline).toBe(1);
    // the gate's test set is never trained on: the three test texts were held out twice, as feedback
    // corrections and as machine-label candidates (their answers in the prediction log)
    expect(it1.detail.heldOutTestLabels).toBe(6);
    const reg = await openRegistry(c);
    try {
      const v2 = await reg.store.getVersion('tickets', 2);
      const trained = readFileSync(join(await reg.artifacts.materialise(v2!.artifact), 'examples.jsonl'), 'utf8').trim().split('\n').map((l) => nearKey((JSON.parse(l) as { text: string }).text));
      const testKeys = new Set(test.map((t) => nearKey(t.text)));
      expect(trained.length).toBeGreaterThan(200);
      expect(trained.filter((k) => testKeys.has(k))).toEqual([]);
    } finally {
      await reg.store.close();
    }
    expect((await rollout()).mode).toBe('shadow');

    // no shadow traffic yet: the next run waits, and does nothing twice
    const again = await loop();
    expect(again.status).toBe('waiting');
    expect(again.steps).toEqual(['judge']);
    expect(again.message).toMatch(/^0 of 40 shadowed messages/);

    // the server follows the rollout: the challenger scores every message in the shadow
    await until(rollout, (s) => s.live?.challenger === 2, 'the server loads the challenger');
    await traffic(world.traffic.slice(117, 217), false);
    await until(rollout, (s) => (s.logged?.shadow.compared ?? 0) >= 40, 'shadow scores reach the prediction log');

    const done = await loop();
    expect(done.status).toBe('promoted');
    expect(done.steps).toEqual(['judge', 'promote']);
    expect(done.iteration.detail.shadow).toMatchObject({ compared: expect.any(Number), agreementRate: expect.any(Number) });
    const after = await until(rollout, (s) => s.live?.champion === 2, 'the server serves the new champion');
    expect(after.mode).toBe('off');
    expect(after.champion?.version).toBe(2);

    // the journal: every step started and ended, with its outcome
    const { service, close } = await openLoop(c, { who: 'loop-test', log });
    try {
      const st = await service.status();
      expect(st.journal.map((e) => `${e.step}:${e.phase}:${e.outcome ?? ''}`)).toEqual([
        'collect:start:', 'collect:end:ok', 'retrain:start:', 'retrain:end:ok', 'shadow:start:', 'shadow:end:waiting',
        'judge:start:', 'judge:end:waiting', 'judge:start:', 'judge:end:ok', 'promote:start:', 'promote:end:promoted',
      ]);
    } finally {
      await close();
    }
  }, 180_000);

  it('stops, alerts and leaves the champion alone when the challenger fails its gate', async () => {
    await traffic(world.traffic.slice(217, 247), true);
    const strict = loadConfig({ file: world.configFile, env: {}, flags: { loop: { gates: join(ROOT, 'test/fixtures/gates/strict.yaml') } } });
    logLines.length = 0;
    const r = await loop(strict);
    expect(r.status).toBe('stopped');
    expect(r.steps).toEqual(['collect', 'retrain']);
    expect(r.message).toMatch(/failed its gate against champion v2/);
    // new labels: 30 corrections from people, and the LLM answers logged since the last retrain (retrain.labels)
    expect(r.iteration.detail).toMatchObject({ newHumanLabels: 30, newMachineLabels: expect.any(Number) });
    expect(r.iteration.detail.newMachineLabels).toBeGreaterThan(0);
    const alerts = logLines.map((l) => JSON.parse(l) as { alert?: { kind: string; message: string } }).filter((l) => l.alert?.kind === 'loop_stopped');
    expect(alerts).toHaveLength(1);
    expect(alerts[0].alert!.message).toContain(`iteration ${r.iteration.id}`);
    const s = await rollout();
    expect(s.champion?.version).toBe(2);
    expect(s.mode).toBe('off');
    // a stopped iteration needs new labels before the next try
    expect((await loop(strict)).status).toBe('idle');
  }, 120_000);
});
