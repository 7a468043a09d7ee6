import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { textKey } from '../../src/adapters/review-store/review-common.js';
import { openReviewStore } from '../../src/adapters/review-store/index.js';
import { loadConfig, type Config } from '../../src/app/config.js';
import { openModel, openRegistry, openServing, type Serving } from '../../src/app/container/index.js';
import { listen, type RunningServer } from '../../src/app/http/index.js';
import type { ClassifyObserver, ClassifyResult } from '../../src/app/classify/service.js';
import { loadExamples } from '../../src/app/services/dataset.js';
import { registerBundle, setAlias, type Registry } from '../../src/app/services/registry.js';
import type { RolloutStatus } from '../../src/app/services/rollout.js';
import { createLogger } from '../../src/app/telemetry/index.js';
import { stickyPoint } from '../../src/core/rollout/assign.js';
import { CLI_MAIN, ROOT, SAMPLE_TEST, tempDir } from '../helpers/sample.js';
import { sampleModel } from '../helpers/serving.js';

/*
 * Safe rollout end to end: a real server (listen() on a free port) serving models:/tickets@champion
 * from a temporary SQLite registry holding two versions of the sample model (seeds 7 and 3), real
 * HTTP traffic, and the rollout changed over the API, by another process (the CLI) and seen
 * through the registry poll.
 */

const work = tempDir('intentops-rollout-e2e-');
const ENV = {
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? '',
  INTENTOPS_REGISTRY_URI: `sqlite:${join(work, 'intentops.db')}`,
  INTENTOPS_ARTIFACTS_URI: `file:${join(work, 'artifacts')}`,
  INTENTOPS_REVIEW_URI: `sqlite:${join(work, 'review.db')}`,
  INTENTOPS_EVENTS_URI: 'none',
  INTENTOPS_USER: 'cli-bot',
};

/** The real CLI in a child process; asynchronous, so the server in this process keeps answering (status --url asks it). */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_MAIN, ...args], { cwd: work, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Waits (bounded) until `cond` holds: polls, never asserts on elapsed time. */
async function until<T>(f: () => Promise<T>, cond: (x: T) => boolean, what: string): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const x = await f();
    if (cond(x)) return x;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`never happened: ${what}`);
}

describe('rollout: shadow, canary, promote and rollback under real traffic', () => {
  let c: Config;
  let reg: Registry;
  let serving: Serving;
  let server: RunningServer;
  let texts: string[];
  /** What each version answers for each test text, classified directly (no server). */
  const expected: Record<'1' | '2', Map<string, { intent: string; route: string }>> = { '1': new Map(), '2': new Map() };
  const shadows: [ClassifyResult, ClassifyResult][] = [];
  const answered: ClassifyResult[] = [];

  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${server.url}${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const classify = async (text: string, client?: string) => {
    const r = await call('POST', '/v1/classify', { text }, client ? { 'x-client-id': client } : {});
    expect(r.status).toBe(200);
    return r.body as ClassifyResult;
  };
  const status = async () => (await call('GET', '/v1/rollout')).body as RolloutStatus;
  /** Runs `f` over `items` with a few requests in flight at once (real concurrency on the socket). */
  const pool = async <T, R>(items: readonly T[], f: (x: T, i: number) => Promise<R>, width = 8): Promise<R[]> => {
    const out = new Array<R>(items.length);
    let next = 0;
    await Promise.all(Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await f(items[i], i);
      }
    }));
    return out;
  };

  beforeAll(async () => {
    c = loadConfig({
      env: ENV,
      flags: { registry: { pollMs: 100 }, cache: { uri: 'none' }, rollout: { gates: join(ROOT, 'test/fixtures/gates/lenient.yaml'), data: SAMPLE_TEST } },
    });
    reg = await openRegistry(c);
    const dirs = [await sampleModel(7), await sampleModel(3)];
    for (const d of dirs) await registerBundle(reg, d, 'tickets', { who: 'test' });
    await setAlias(reg, 'tickets', 'champion', 1, { who: 'test', why: 'first' });
    await setAlias(reg, 'tickets', 'challenger', 2, { who: 'test', why: 'seed 3' });
    texts = [...new Set((await loadExamples(SAMPLE_TEST)).examples.map((e) => e.text))];
    for (const [i, v] of (['1', '2'] as const).entries()) {
      const preds = await (await openModel(dirs[i], c)).classify(texts, { llmAvailable: false });
      preds.forEach((p, j) => expected[v].set(texts[j], { intent: p.intent, route: p.route }));
    }
    const observer: ClassifyObserver = { onResult: (r) => void answered.push(r), onShadow: (a, s) => void shadows.push([a, s]) };
    serving = await openServing(c, { modelDir: 'models:/tickets@champion', log: createLogger({ level: 'silent' }), observer });
    server = await listen(serving.app, { host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await server?.close(5000);
    await serving?.close();
    await reg?.store.close();
  });

  it('off: the champion (registry v1) answers everything, as {name, version: "1"}', async () => {
    const rs = await pool(texts.slice(0, 20), (t, i) => classify(t, `warmup-${i}`));
    expect(rs.every((r) => r.variant === 'champion' && r.model.name === 'tickets' && r.model.version === '1')).toBe(true);
    expect((await call('GET', '/v1/models/current')).body.version).toBe('1');
    const s = await status();
    expect(s).toMatchObject({ name: 'tickets', mode: 'off', champion: { version: 1 }, challenger: { version: 2 }, live: { mode: 'off', champion: 1, challenger: null } });
  });

  it('shadow: the champion answers, the challenger scores every message off the request path; agreement, routes and latency of both', async () => {
    const put = await call('PUT', '/v1/rollout', { mode: 'shadow', why: 'watch v2' });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ mode: 'shadow', updatedBy: 'anonymous', note: 'watch v2', live: { mode: 'shadow', challenger: 2 } });
    const before = (await status()).live!.stats;
    const queuedBefore = await countReviews();
    shadows.length = 0;
    const rs = await pool(texts, (t, i) => classify(t, `client-${i}`));
    // every answer is the champion's, exactly what v1 says on its own
    expect(rs.every((r, i) => r.variant === 'champion' && r.model.version === '1' && r.intent === expected['1'].get(texts[i])!.intent)).toBe(true);
    const after = await until(status, (s) => s.live!.stats.shadow.compared - before.shadow.compared === texts.length, 'all shadow scores recorded');
    const st = after.live!.stats;
    const d = (a: number, b: number) => a - b;
    expect(d(st.variants.champion.requests, before.variants.champion.requests)).toBe(texts.length);
    expect(d(st.variants.challenger.requests, before.variants.challenger.requests)).toBe(0);
    // agreement as measured by the server = agreement of the two models classified directly
    const agree = texts.filter((t) => expected['1'].get(t)!.intent === expected['2'].get(t)!.intent).length;
    expect(d(st.shadow.agreed, before.shadow.agreed)).toBe(agree);
    expect(st.shadow.agreementRate).toBeGreaterThan(0.5);
    expect(st.shadow.dropped).toBe(0);
    // per-route counts of each variant: the champion's from the responses, the shadow's from v2 alone
    for (const route of ['accepted', 'llm', 'review'] as const) {
      expect(d(st.variants.champion.routes[route], before.variants.champion.routes[route])).toBe(rs.filter((r) => r.route === route).length);
      expect(d(st.variants.shadow.routes[route], before.variants.shadow.routes[route])).toBe(texts.filter((t) => expected['2'].get(t)!.route === route).length);
    }
    expect(st.variants.champion.latencyMs.model).not.toBeNull();
    expect(st.variants.shadow.latencyMs.model!.p50).toBeGreaterThan(0);
    // observers see each shadow score next to its answer (same id), and it caused no review item
    expect(shadows).toHaveLength(texts.length);
    expect(shadows.every(([a, s]) => s.variant === 'shadow' && s.id === a.id && s.model.version === '2' && s.review === undefined && s.llm === undefined)).toBe(true);
    // one open item per text and model version: repeats of a text (also of the warm-up's) are counted on its item
    // (audit items — 1 % of accepted answers queued for a person to judge — are not unsure answers)
    const known = new Set(queuedBefore.map((r) => textKey(r.text)));
    const unsure = (items: { reason: string }[]) => items.filter((r) => r.reason !== 'audit').length;
    expect(unsure(await countReviews()) - unsure(queuedBefore)).toBe(new Set(texts.filter((t, i) => rs[i].route === 'review' && !known.has(textKey(t))).map(textKey)).size);
  });

  it('canary 20 %: about a fifth of distinct clients get the challenger, each client always the same arm', async () => {
    expect((await call('PUT', '/v1/rollout', { mode: 'canary', share: 0.2, why: 'first slice' })).body).toMatchObject({ mode: 'canary', share: 0.2, live: { mode: 'canary', share: 0.2 } });
    const before = (await status()).live!.stats.variants.challenger.requests;
    const clients = Array.from({ length: 500 }, (_, i) => `customer-${i}`);
    const rs = await pool(clients, (id, i) => classify(texts[i % texts.length], id));
    const onChallenger = clients.filter((_, i) => rs[i].variant === 'challenger');
    // each of 500 distinct ids is a Bernoulli(0.2) draw of the hash: sd = sqrt(0.2 · 0.8 / 500) ≈ 0.018,
    // so ±0.06 is over 3 sd (and the ids are fixed, so the result is the same on every run)
    expect(Math.abs(onChallenger.length / clients.length - 0.2)).toBeLessThan(0.06);
    // exactly the clients whose sticky point is under the share, answered by v2 as v2 answers
    expect(onChallenger).toEqual(clients.filter((id) => stickyPoint('tickets', id) < 0.2));
    rs.forEach((r, i) => {
      expect(r.model.version).toBe(r.variant === 'challenger' ? '2' : '1');
      expect(r.intent).toBe(expected[r.model.version as '1' | '2'].get(texts[i % texts.length])!.intent);
    });
    // stickiness: 40 clients, 5 different messages each, never change arm
    const sticky = clients.slice(0, 40);
    const arms = await pool(sticky, async (id, k) => new Set(await Promise.all([0, 1, 2, 3, 4].map(async (j) => (await classify(texts[(k * 5 + j) % texts.length], id)).variant))));
    expect(arms.every((s, k) => s.size === 1 && s.has(onChallenger.includes(sticky[k]) ? 'challenger' : 'champion'))).toBe(true);
    // without a client key the arm is drawn per request: 400 draws of Bernoulli(0.2), sd 0.02; ±0.1 is 5 sd
    const anon = await pool(Array.from({ length: 400 }, (_, i) => texts[i % texts.length]), (t) => classify(t));
    const anonShare = anon.filter((r) => r.variant === 'challenger').length / anon.length;
    expect(Math.abs(anonShare - 0.2)).toBeLessThan(0.1);
    // the server's per-variant figures count exactly the answers the clients saw
    const s = await status();
    expect(s.live!.stats.variants.challenger.requests - before).toBe(onChallenger.length + arms.filter((a) => a.has('challenger')).length * 5 + anon.filter((r) => r.variant === 'challenger').length);
  });

  it('rollback over the API turns the canary off at once; promote moves champion to v2; rollback moves it back to v1, no restart', async () => {
    const canaryClient = Array.from({ length: 500 }, (_, i) => `customer-${i}`).find((id) => stickyPoint('tickets', id) < 0.2)!;
    expect((await classify(texts[0], canaryClient)).variant).toBe('challenger');
    const off = await call('POST', '/v1/rollout/rollback', { why: 'error rate up' });
    expect(off).toMatchObject({ status: 200, body: { action: 'rollout-off', from: { mode: 'canary', share: 0.2 }, champion: 1 } });
    expect(await classify(texts[0], canaryClient)).toMatchObject({ variant: 'champion', model: { version: '1' } });

    const promoted = await call('POST', '/v1/rollout/promote', { why: 'canary looked good' });
    expect(promoted.status).toBe(200);
    expect(promoted.body).toMatchObject({ promoted: true, from: 1, to: 2, gate: { passed: true } });
    expect(await classify(texts[1], canaryClient)).toMatchObject({ variant: 'champion', model: { version: '2' } });
    expect(await status()).toMatchObject({ mode: 'off', champion: { version: 2 }, live: { champion: 2, challenger: null } });

    const back = await call('POST', '/v1/rollout/rollback', { why: 'complaints' });
    expect(back.body).toEqual({ action: 'champion-restored', name: 'tickets', from: 2, to: 1 });
    // the very next requests are answered by the old version
    const next = await pool(texts.slice(0, 30), (t, i) => classify(t, `after-${i}`));
    expect(next.every((r) => r.model.version === '1' && r.variant === 'champion')).toBe(true);
    expect((await call('GET', '/v1/models/current')).body.version).toBe('1');
    const [move] = await reg.store.history('tickets', { alias: 'champion', limit: 1 });
    expect(move).toMatchObject({ from: 2, to: 1, who: 'anonymous', why: 'rollback: complaints' });
  });

  it('a change from another process (the CLI) reaches the running server through the registry poll, with no failed request', async () => {
    // steady traffic while the other process promotes and this server swaps models
    let stop = false;
    const seen = new Set<string>();
    const failures: string[] = [];
    const load = Promise.all(
      [0, 1, 2].map(async (w) => {
        for (let i = 0; !stop; i++) {
          const r = await call('POST', '/v1/classify', { text: texts[(w * 50 + i) % texts.length] }, { 'x-client-id': `load-${w}-${i}` });
          if (r.status === 200) seen.add(r.body.model.version);
          else failures.push(`${r.status} ${JSON.stringify(r.body)}`);
        }
      }),
    );
    const promote = await cli(['rollout', 'promote', '--force', '--why', 'from the CLI']);
    expect(promote.stderr).toBe('');
    expect(promote.code).toBe(0);
    expect(promote.stdout).toMatch(/tickets@champion: v1 → v2; rollout off/);
    const r = await until(() => classify(texts[2], 'poller'), (x) => x.model.version === '2', 'the server follows the promotion');
    expect(r.variant).toBe('champion');
    stop = true;
    await load;
    expect(failures).toEqual([]);
    expect([...seen].sort()).toEqual(['1', '2']);
    const rollback = await cli(['rollout', 'rollback', '--why', 'back again']);
    expect(rollback.code).toBe(0);
    expect(rollback.stdout).toMatch(/tickets@champion: v2 → v1/);
    await until(() => classify(texts[2], 'poller'), (x) => x.model.version === '1', 'the server follows the rollback');
    const st = await cli(['rollout', 'status', '--url', server.url, '--json']);
    expect(st.code).toBe(0);
    const json = JSON.parse(st.stdout) as RolloutStatus;
    expect(json).toMatchObject({ name: 'tickets', mode: 'off', champion: { version: 1 }, live: { champion: 1 }, ab: { recommendation: 'need more data' } });
    expect(json.history[0]).toMatchObject({ who: 'cli-bot', to: { mode: 'off' } });
    const text = await cli(['rollout', 'status']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^tickets: off \(set by cli-bot/);
    expect(text.stdout).toMatch(/A\/B \(review\): NEED MORE DATA/);
  });

  it('refuses bad input with clear 4xx answers and exit codes, changing nothing', async () => {
    const before = await status();
    const bad = async (method: string, path: string, body: unknown, status: number, field?: string) => {
      const r = await call(method, path, body);
      expect(r.status, JSON.stringify(body)).toBe(status);
      if (field) expect(r.body.errors?.map((e: { field: string }) => e.field) ?? [r.body.detail]).toContain(field);
      return r.body;
    };
    await bad('PUT', '/v1/rollout', { mode: 'canary', share: 1.5, why: 'x' }, 400, 'share');
    await bad('PUT', '/v1/rollout', { mode: 'canary', share: -0.1, why: 'x' }, 400, 'share');
    await bad('PUT', '/v1/rollout', { mode: 'blue', why: 'x' }, 400, 'mode');
    await bad('PUT', '/v1/rollout', { mode: 'canary' }, 400, 'why');
    await bad('PUT', '/v1/rollout', { mode: 'canary', why: 'x', colour: 'red' }, 400, 'colour');
    expect((await bad('PUT', '/v1/rollout', { mode: 'shadow', share: 0.3, why: 'x' }, 400)).detail).toMatch(/share: share applies to canary and ab only/);
    await bad('POST', '/v1/rollout/rollback', {}, 400, 'why');
    expect((await status()).history).toEqual(before.history);
    expect((await cli(['rollout', 'set', 'canary', '--share', '2', '--why', 'x'])).code).toBe(2);
    const blue = await cli(['rollout', 'set', 'blue', '--why', 'x']);
    expect(blue.code).toBe(2);
    expect(blue.stderr).toMatch(/Allowed choices are off, shadow, canary, ab/);
    // no challenger: nothing to promote (404 / exit 3)
    await reg.store.moveAlias({ name: 'tickets', alias: 'challenger', to: null, who: 'test', why: 'retired' });
    const none = await bad('POST', '/v1/rollout/promote', { why: 'x' }, 404);
    expect(none.detail).toMatch(/model tickets has no challenger alias: there is nothing to promote/);
    await bad('PUT', '/v1/rollout', { mode: 'canary', why: 'x' }, 404);
    const cliNone = await cli(['rollout', 'promote', '--why', 'x', '--force']);
    expect(cliNone.code).toBe(3);
    expect(cliNone.stderr).toMatch(/no challenger alias/);
    expect((await status()).history).toEqual(before.history);
  });
});

/** Every item in the review queue the server writes to. */
async function countReviews() {
  const store = await openReviewStore(ENV.INTENTOPS_REVIEW_URI);
  try {
    const all = [];
    for (const state of ['open', 'claimed', 'labelled', 'skipped'] as const) {
      for (let after: string | undefined; ; ) {
        const page = await store.list({ state, limit: 1000, after });
        all.push(...page);
        if (page.length < 1000) break;
        after = page[page.length - 1].id;
      }
    }
    return all;
  } finally {
    await store.close();
  }
}
