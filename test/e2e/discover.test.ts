import { rmSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openReviewStore } from '../../src/adapters/review-store/index.js';
import type { NewReviewItem, ReviewItem, ReviewReason } from '../../src/ports/review-store.js';
import type { DiscoveryReport } from '../../src/app/services/discover.js';
import { runCliCaptured as cli } from '../helpers/capture.js';
import { tempDir } from '../helpers/sample.js';
import { sampleModel } from '../helpers/serving.js';
import { TOPICS } from '../fixtures/discover-messages.js';
import { fakeClusterName, startFakeLlm, type FakeLlm } from '../../src/app/dev/fake-llm-server.js';
import { readNamingPrompt } from '../../src/adapters/llm/naming-prompt.js';

const HOUR = 3_600_000;

/**
 * Intent discovery end to end: the sample model trained, a real SQLite review queue holding
 * out-of-scope messages of two topics the model does not know (loyalty points, gift wrapping)
 * and unrelated strays; `intentops discover` finds the topics and names them, `discover accept`
 * makes one a new intent, `discover reject` marks the other out of scope.
 */
describe('intentops discover (sample model, SQLite review queue)', () => {
  const dir = tempDir('intentops-discover-');
  const db = join(dir, 'review.db');
  const env = { INTENTOPS_REVIEW_URI: `sqlite:${db}`, INTENTOPS_USER: 'ana', INTENTOPS_TRACKING_URI: 'none', INTENTOPS_REGISTRY_URI: `sqlite:${join(dir, 'registry.db')}` };
  let model: string;
  const ids = { loyalty: [] as string[], gift: [] as string[], stray: [] as string[], audit: '', old: '' };
  const item = (text: string, reason: ReviewReason = 'out_of_scope'): NewReviewItem => ({ text, guess: 'general_question', confidence: 0.31, alternatives: [{ intent: 'general_question', score: 0.31 }], reason, model: { name: 'sample', version: '1' } });

  beforeAll(async () => {
    model = await sampleModel();
    const store = await openReviewStore(`sqlite:${db}`);
    const now = Date.now();
    const at = (hoursAgo: number) => ({ at: new Date(now - hoursAgo * HOUR).toISOString() });
    // loyalty points: two early in the week, six in its last days (growing); one asked twice
    for (const [k, text] of TOPICS.loyalty.entries()) ids.loyalty.push((await store.add(item(text, k === 3 ? 'low_confidence' : 'out_of_scope'), at(k < 2 ? 150 - k : 60 - k * 5))).id);
    await store.add(item(TOPICS.loyalty[0]), at(2));
    // gift wrapping: through the week
    for (const [k, text] of TOPICS.gift.entries()) ids.gift.push((await store.add(item(text), at(20 + k * 25))).id);
    for (const [k, text] of TOPICS.stray.entries()) ids.stray.push((await store.add(item(text, k % 2 ? 'unfamiliar' : 'out_of_scope'), at(5 + k * 17))).id);
    // not clustered: an audit sample (a sure answer) and a message older than the window
    ids.audit = (await store.add(item('How do loyalty points work with my membership card?', 'audit'), at(3))).id;
    ids.old = (await store.add(item('Where can I see my loyalty points balance?'), at(24 * 9))).id;
    await store.close();
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const discover = async (...extra: string[]): Promise<DiscoveryReport> => {
    const r = await cli(['discover', '--model', model, '--since', '7d', '--json', ...extra], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout) as DiscoveryReport;
  };
  const byTopic = (r: DiscoveryReport, topic: string[]) => r.clusters.find((c) => c.memberIds.some((id) => topic.includes(id)));

  it('finds the two topics as clusters with distinctive-term names, sizes and growth', async () => {
    const r = await discover();
    expect(r.items).toMatchObject({ open: 24, selected: 22, clustered: 22 });
    expect(r.embedder).toBe('hashed');
    expect(r.params).toMatchObject({ minSimilarity: 0.2, minSize: 3 });
    expect(r.clusters).toHaveLength(2);
    const loyalty = byTopic(r, ids.loyalty)!;
    const gift = byTopic(r, ids.gift)!;
    expect([...loyalty.memberIds].sort()).toEqual([...ids.loyalty].sort());
    expect([...gift.memberIds].sort()).toEqual([...ids.gift].sort());
    expect(r.clusters[0].id).toBe(loyalty.id); // the largest first
    expect(loyalty.name).toMatch(/loyalty/);
    expect(loyalty.name).toMatch(/points/);
    expect(gift.name).toMatch(/gift/);
    expect(gift.name).toMatch(/wrap/);
    expect(loyalty.size).toBe(9); // one asked twice
    expect(loyalty.items).toBe(8);
    expect(loyalty.growth.lastHalf).toBeGreaterThan(loyalty.growth.firstHalf);
    expect(loyalty.reasons).toEqual({ out_of_scope: 8 / 9, low_confidence: 1 / 9 });
    expect(loyalty.topGuess).toEqual({ intent: 'general_question', share: 1 });
    expect(loyalty.representatives).toHaveLength(3);
    for (const m of loyalty.representatives) expect(TOPICS.loyalty).toContain(m.text);
    // the same flags give the same clusters (ids are what accept and reject name)
    expect((await discover()).clusters.map((c) => c.id)).toEqual(r.clusters.map((c) => c.id));
  });

  it('prints a table and writes a Markdown report; filters by reason', async () => {
    const md = join(dir, 'discover.md');
    const r = await cli(['discover', '--model', model, '--md', md], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^2 cluster\(s\) of 14 among 22 open review items seen in the last 7d/);
    expect(r.stdout).toMatch(/c-[0-9a-f]{10} +loyalty/);
    expect(r.stdout).toContain('discover accept CLUSTER --intent NAME');
    const text = readFileSync(md, 'utf8');
    expect(text).toMatch(/\| `c-[0-9a-f]{10}` \| gift_wrap/);
    expect(text).toContain(TOPICS.gift[0].slice(0, 20));
    const unfamiliar = await discover('--reason', 'unfamiliar');
    expect(unfamiliar.items.selected).toBe(4);
    expect(unfamiliar.clusters).toEqual([]);
  });

  it('without an LLM, names come from distinctive terms and the report says so', async () => {
    const r = await discover();
    expect(r.naming).toMatchObject({ source: 'terms', named: 0, calls: 0 });
    for (const c of r.clusters) {
      expect(c.nameSource).toBe('terms');
      expect(c.naming).toBeUndefined();
    }
    const table = await cli(['discover', '--model', model], env);
    expect(table.stdout).toContain('names: from distinctive terms');
  });

  describe('with the LLM configured (the fake LLM server)', () => {
    let fake: FakeLlm;
    const llmEnv = () => ({ ...env, INTENTOPS_LLM_PROVIDER: 'openai-chat', INTENTOPS_LLM_BASE_URL: fake.baseUrl, INTENTOPS_LLM_MODEL: 'gpt-4o-mini' });
    beforeAll(async () => {
      fake = await startFakeLlm();
    });
    afterAll(() => fake.close());

    it('names each cluster from its messages through the LLM, with model and cost', async () => {
      const before = fake.requests.length;
      const r = await cli(['discover', '--model', model, '--json'], llmEnv());
      expect(r.stderr).toBe('');
      const report = JSON.parse(r.stdout) as DiscoveryReport;
      const sent = fake.requests.slice(before);
      expect(sent).toHaveLength(2); // one naming call per cluster
      expect(report.naming).toMatchObject({ source: 'llm', named: 2, fellBack: 0, calls: 2 });
      expect(report.naming.costUsd).toBeGreaterThan(0); // gpt-4o-mini is in the price table
      for (const c of report.clusters) {
        expect(c.nameSource).toBe('llm');
        expect(c.naming).toMatchObject({ by: 'llm', model: 'gpt-4o-mini' });
        // what the fake answers for exactly the messages the prompt carried
        const asked = sent.map((q) => readNamingPrompt((q.body as { messages: { content: string }[] }).messages.map((m) => m.content).join('\n'))!).find((p) => c.representatives.every((m) => p.representatives.includes(m.text)))!;
        expect(asked.existingIntents).toContain('general_question');
        expect(c.name).toBe(fakeClusterName(asked));
      }
      const loyalty = byTopic(report, ids.loyalty)!;
      expect(loyalty.name).toBe('loyalty_points');
      // accept and reject find clusters without naming them: no LLM call
      const n = fake.requests.length;
      const gone = await cli(['discover', 'accept', 'c-0000000000', '--intent', 'x', '--model', model], llmEnv());
      expect(gone.code).toBe(3);
      expect(fake.requests.length).toBe(n);
    });

    it("falls back to the terms name when the LLM's suggestion is an existing intent or not snake_case, and says why", async () => {
      fake.script({ name: 'general_question' }, { name: 'Gift wrapping, please!' });
      const r = await cli(['discover', '--model', model, '--json'], llmEnv());
      const report = JSON.parse(r.stdout) as DiscoveryReport;
      expect(report.naming).toMatchObject({ source: 'llm', named: 0, fellBack: 2, calls: 2 });
      const whys = report.clusters.map((c) => (c.naming?.by === 'terms' ? c.naming.why : '')).sort();
      expect(whys[0]).toMatch(/already one of the model's intents/);
      expect(whys[1]).toMatch(/not a snake_case name/);
      for (const c of report.clusters) expect(c.nameSource).toBe('terms');
      expect(byTopic(report, ids.gift)!.name).toMatch(/gift/);
    });

    it('a failing LLM leaves the terms names, warns once and still exits 0', async () => {
      fake.script({ status: 500, times: 20 });
      const r = await cli(['discover', '--model', model], { ...llmEnv(), INTENTOPS_LLM_DEADLINE_MS: '2000' });
      expect(r.code).toBe(0);
      expect(r.stderr.match(/warning: cluster naming by the LLM failed/g)).toHaveLength(1);
      expect(r.stdout).toMatch(/names: 0 by the LLM \(2 call\(s\)\), 2 from distinctive terms/);
      expect(r.stdout).toMatch(/c-[0-9a-f]{10} +loyalty/);
    }, 30_000);
  });

  it('refuses bad flags and an unknown cluster id clearly', async () => {
    const since = await cli(['discover', '--model', model, '--since', 'last week'], env);
    expect(since.code).toBe(2);
    expect(since.stderr).toMatch(/--since must be a duration such as 7d/);
    const reason = await cli(['discover', '--model', model, '--reason', 'bored'], env);
    expect(reason.code).toBe(2);
    expect(reason.stderr).toMatch(/unknown review reason "bored"/);
    const gone = await cli(['discover', 'accept', 'c-0000000000', '--intent', 'x', '--model', model], env);
    expect(gone.code).toBe(3);
    expect(gone.stderr).toMatch(/no cluster c-0000000000 with these settings \(current clusters: c-/);
    expect(gone.stderr).toMatch(/run `intentops discover` again/);
    const oos = await cli(['discover', 'accept', 'c-0000000000', '--intent', 'out_of_scope', '--model', model], env);
    expect(oos.stderr).toMatch(/discover reject/);
  });

  it('accepts one cluster as a new intent and rejects the other as out of scope', async () => {
    const r = await discover();
    const loyalty = byTopic(r, ids.loyalty)!;
    const gift = byTopic(r, ids.gift)!;
    const accepted = await cli(['discover', 'accept', loyalty.id, '--intent', 'loyalty_points', '--model', model, '--who', 'bea'], env);
    expect(accepted.stderr).toBe('');
    expect(accepted.code).toBe(0);
    expect(accepted.stdout).toMatch(new RegExp(`${loyalty.id} \\(loyalty\\w*\\): 8 review item\\(s\\) labelled loyalty_points \\(new intent\\)`));
    const rejected = await cli(['discover', 'reject', gift.id, '--model', model, '--json'], env);
    expect(rejected.code).toBe(0);
    expect(JSON.parse(rejected.stdout)).toMatchObject({ cluster: gift.id, label: 'out_of_scope', newIntent: false, failed: [] });

    const store = await openReviewStore(`sqlite:${db}`);
    try {
      const get = async (id: string) => (await store.get(id)) as ReviewItem;
      for (const id of ids.loyalty) expect(await get(id)).toMatchObject({ state: 'labelled', label: 'loyalty_points', labelledBy: 'bea' });
      for (const id of ids.gift) expect(await get(id)).toMatchObject({ state: 'labelled', label: 'out_of_scope', labelledBy: 'ana' });
      for (const id of [...ids.stray, ids.audit, ids.old]) expect(await get(id)).toMatchObject({ state: 'open' });
      // the labelled items are training examples for retrain
      const examples = await store.labelled();
      expect(examples.filter((e) => e.label === 'loyalty_points').map((e) => e.text).sort()).toEqual([...TOPICS.loyalty].sort());
      expect(examples.filter((e) => e.label === 'out_of_scope')).toHaveLength(6);
    } finally {
      await store.close();
    }
    // labelled items leave the open queue: nothing is left to cluster, and the old ids are gone
    expect((await discover()).clusters).toEqual([]);
    const again = await cli(['discover', 'reject', loyalty.id, '--model', model], env);
    expect(again.code).toBe(3);
    expect(again.stderr).toMatch(/there are no clusters now/);
  });
});
