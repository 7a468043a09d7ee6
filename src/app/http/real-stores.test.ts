import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PG_URL, REDIS_URL, requirePostgres, requireRedis, uniqueId } from '../../../test/helpers/real-services.js';
import { testServing, type TestServing } from '../../../test/helpers/serving.js';
import { hashKey } from './auth.js';

/**
 * The same server on the real PostgreSQL and Redis of this machine (review store, answer cache,
 * rate limiter). A server that is down fails these tests with the command that starts it.
 */
describe('serving on PostgreSQL and Redis', () => {
  const run = uniqueId();
  const key = `sk-${run}`;
  const who = `ops_${run}`;
  // a schema of this run's own: the review tables are created in it and dropped with it
  const schema = `serve_${run}`;
  let s: TestServing;

  beforeAll(async () => {
    await Promise.all([requirePostgres(), requireRedis()]);
    s = await testServing({
      flags: {
        review: { uri: `${PG_URL}?schema=${schema}` },
        cache: { uri: REDIS_URL },
        server: { apiKeys: [{ name: who, sha256: hashKey(key) }], rateLimit: { uri: REDIS_URL, ratePerSecond: 0.2, burst: 8 } },
      },
    });
  });
  afterAll(async () => {
    await s?.close();
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => client.end());
  });
  const h = () => ({ authorization: `Bearer ${key}` });

  it('is ready when every store answers', async () => {
    const res = await s.get('/readyz');
    expect(await res.json()).toEqual({ status: 'ready', checks: { model: 'ok', review: 'ok', cache: 'ok', rateLimiter: 'ok', events: 'ok' } });
  });

  it('caches answers in Redis and queues review items in PostgreSQL', async () => {
    const text = `where is my parcel? tracking shows nothing (${run})`;
    const a = await (await s.post('/v1/classify', { text }, h())).json();
    const b = await (await s.post('/v1/classify', { text }, h())).json();
    expect([a.cached, b.cached]).toEqual([false, true]);
    const unsure = await (await s.post('/v1/classify', { text: `hmm ok ${run}` }, h())).json();
    expect(unsure.route).toBe('review');
    const claimed = await (await s.post(`/v1/review/${unsure.review.id}/claim`, '', h())).json();
    expect(claimed).toMatchObject({ state: 'claimed', claimedBy: who, text: `hmm ok ${run}` });
    const labelled = await (await s.post(`/v1/review/${unsure.review.id}/label`, { label: 'general_question' }, h())).json();
    expect(labelled).toMatchObject({ state: 'labelled', label: 'general_question' });
  });

  it('rate-limits the key in Redis: 429 with Retry-After', async () => {
    let limited: Response | undefined;
    for (let i = 0; i < 12 && !limited; i++) {
      const res = await s.get('/v1/intents', h());
      if (res.status === 429) limited = res;
    }
    expect(limited?.status).toBe(429);
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });
});
