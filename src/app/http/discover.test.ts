import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openReviewStore } from '../../adapters/review-store/index.js';
import { tempDir } from '../../../test/helpers/sample.js';
import { testServing, type TestServing } from '../../../test/helpers/serving.js';
import { TOPICS } from '../../../test/fixtures/discover-messages.js';
import type { DiscoveryReport } from '../services/discover.js';
import { startFakeLlm, type FakeLlm } from '../dev/fake-llm-server.js';

describe('GET /v1/discover (SQLite file)', () => {
  let s: TestServing;
  beforeAll(async () => {
    const db = join(tempDir(), 'review.db');
    const store = await openReviewStore(`sqlite:${db}`);
    const texts = [...TOPICS.loyalty, ...TOPICS.gift, ...TOPICS.stray];
    for (const [k, text] of texts.entries())
      await store.add({ text, guess: 'general_question', confidence: 0.3, alternatives: [], reason: 'out_of_scope', model: { name: 'sample', version: '1' } }, { at: new Date(Date.now() - (k + 1) * 3_600_000).toISOString() });
    await store.close();
    s = await testServing({ flags: { review: { uri: `sqlite:${db}` } } });
  }, 60_000);
  afterAll(() => s?.close());

  it('returns the clusters of the open review queue, read-only', async () => {
    const res = await s.get('/v1/discover?since=7d');
    expect(res.status).toBe(200);
    const r = (await res.json()) as DiscoveryReport;
    expect(r.items).toMatchObject({ open: 22, selected: 22, clustered: 22 });
    expect(r.params.maxItems).toBe(1000);
    expect(r.clusters.map((c) => c.name)).toEqual(['loyalty_points', 'gift_wrapping']);
    expect(r.clusters.map((c) => c.items)).toEqual([8, 6]);
    const fewer = (await (await s.get('/v1/discover?since=330m&minSize=2')).json()) as DiscoveryReport;
    expect(fewer.items.selected).toBe(5);
  });

  it('answers 400 to a bad query', async () => {
    expect((await s.get('/v1/discover?since=soon')).status).toBe(400);
    expect((await s.get('/v1/discover?maxItems=5000')).status).toBe(400);
    expect((await s.get('/v1/discover?minSize=abc')).status).toBe(400);
  });
});

describe('GET /v1/discover with the LLM configured (fake LLM server)', () => {
  let s: TestServing;
  let fake: FakeLlm;
  beforeAll(async () => {
    fake = await startFakeLlm();
    const db = join(tempDir(), 'review.db');
    const store = await openReviewStore(`sqlite:${db}`);
    for (const [k, text] of [...TOPICS.loyalty, ...TOPICS.gift].entries())
      await store.add({ text, guess: 'general_question', confidence: 0.3, alternatives: [], reason: 'out_of_scope', model: { name: 'sample', version: '1' } }, { at: new Date(Date.now() - (k + 1) * 3_600_000).toISOString() });
    await store.close();
    s = await testServing({ flags: { review: { uri: `sqlite:${db}` }, llm: { provider: 'openai-chat', baseUrl: fake.baseUrl, model: 'gpt-4o-mini' } } });
  }, 60_000);
  afterAll(async () => {
    await s?.close();
    await fake?.close();
  });

  it('names the clusters by the LLM once: a refresh of the same clusters is answered from the cache', async () => {
    const r = (await (await s.get('/v1/discover')).json()) as DiscoveryReport;
    expect(r.naming).toMatchObject({ source: 'llm', named: 2, calls: 2, maxClusters: 20 });
    expect(r.clusters.map((c) => [c.nameSource, c.naming?.by])).toEqual([
      ['llm', 'llm'],
      ['llm', 'llm'],
    ]);
    expect(r.clusters[0].name).toBe('loyalty_points');
    const sent = fake.requests.length;
    const again = (await (await s.get('/v1/discover')).json()) as DiscoveryReport;
    expect(fake.requests.length).toBe(sent);
    expect(again.naming).toMatchObject({ named: 2, calls: 0, costUsd: 0 });
    expect(again.clusters.map((c) => c.name)).toEqual(r.clusters.map((c) => c.name));
  });
});

describe('GET /v1/discover without a review store', () => {
  it('answers 503', async () => {
    const s = await testServing({ flags: { review: { uri: 'none' } } });
    try {
      expect((await s.get('/v1/discover')).status).toBe(503);
    } finally {
      await s.close();
    }
  });
});
