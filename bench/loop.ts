/**
 * `npm run bench:loop [-- --days 10] [--per-day N] [--embedder hashed|hashed+onnx] [--seed 1]
 *   [--reviews 20] [--discover 5] [--withheld 5] [--withheld-from 6] [--shadow 100] [--llm-accuracy 0.9] [--coverage-gate 0.1] [--when-unreached best-bound|point|most-precise] [--bound-tolerance T] [--llm-share 0|1] [--llm-check RATE] [--calibrate-on all|sampled] [--group-similarity S] [--day-cap N] [--batch N] [--json FILE]`
 *
 * The loop on BANKING77 (issue #18): the training set (10,003 messages, shuffled with the seed)
 * replayed as live traffic over `--days` days, starting from 10 labelled examples per intent
 * (removed from the stream; 8 trained on, 2 held out as the gate's test set: the loop never judges
 * a challenger on what it learned). `--withheld` intents are absent from the seed and from the
 * stream until day `--withheld-from`. Every message goes through the real serving stack in this
 * process (HTTP app with `models:/banking@champion` under rollout, prediction log with texts,
 * review queue, registry, precision audit at 1 %) with the LLM fallback on the fake LLM oracle
 * (`intentops dev fake-llm --oracle`, accuracy 0.9) priced as gpt-4o-mini. After each day a
 * reviewer spends a budget of `--reviews` items: first up to `--discover` intent-discovery clusters
 * (the largest first, each counted as one item; accepted as the intent their representative
 * messages share, by the gold labels), then review items in queue order answered from the gold
 * labels; and `loop run`
 * collects the labels, retrains, gates against the champion and starts the challenger's shadow;
 * the next day's traffic feeds the shadow, and `loop run` is ticked again every `--shadow`
 * messages until it promotes or stops. The BANKING77 test set only reports each day's model
 * accuracy; nothing decides on it.
 *
 * Printed per day: LLM share, accepted coverage and accuracy (against gold), end-to-end accuracy
 * (LLM answers included; messages left to review count as not answered), LLM calls and cost per
 * 1,000 messages, review items, labels by provenance, the champion's test-set accuracy, and how
 * the withheld intents' messages were routed; why the other messages were not accepted (routing
 * reason counts) with the champion's calibration (confirmed rows, coverage, bound, whether the
 * target was reached) and the unknown share it assumed; where the day's time went, as wall/CPU
 * seconds per phase (traffic, shadow waits and ticks, discovery, review, the end-of-day `loop run`
 * with its retrain stages marked *, model swaps, the test set, the reasons; CPU of the whole
 * process, all threads); then the last day against the reference and targets, and the whole
 * replay's wall and CPU seconds by phase.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { stringify } from 'yaml';
import { openReviewStore } from '../src/adapters/review-store/index.js';
import { loadConfig } from '../src/app/config.js';
import { openGateModel, openLoop, openRegistry, openServing, trainModel, trainSettings } from '../src/app/container/index.js';
import { startFakeLlm } from '../src/app/dev/fake-llm-server.js';
import type { ClassifyResult } from '../src/app/classify/service.js';
import type { IntentModel } from '../src/app/classify/model.js';
import type { LoopRunResult } from '../src/app/services/loop.js';
import { DiscoverService } from '../src/app/services/discover.js';
import { findVersion, registerBundle, resolveModelUri, setAlias } from '../src/app/services/registry.js';
import type { RolloutStatus } from '../src/app/services/rollout.js';
import { createLogger } from '../src/app/telemetry/index.js';
import { mulberry32, nearKey } from '../src/core/dataset/index.js';
import { benchArgs } from './args.js';
import { hindsightCoverage } from './hindsight.js';

const { opt, dataDir, modelDir } = benchArgs();
const num = (name: string, d: number) => {
  const v = opt(name);
  if (v === undefined) return d;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) {
    console.error(`error: ${name} must be a non-negative number, got ${JSON.stringify(v)}`);
    process.exit(2);
  }
  return n;
};
const DAYS = num('--days', 10);
const PER_DAY = opt('--per-day') ? num('--per-day', 0) : Infinity;
const EMBEDDER = opt('--embedder') ?? 'hashed';
const SEED = num('--seed', 1);
const REVIEWS = num('--reviews', 20);
const WITHHELD = num('--withheld', 5);
const WITHHELD_FROM = num('--withheld-from', 6);
const SHADOW = num('--shadow', 100);
/** Discovery clusters the reviewer looks at each day, each counted as one review item of the budget (0 = off). */
const DISCOVER = num('--discover', 5);
const LLM_ACCURACY = num('--llm-accuracy', 0.9);
/** 0 = off: the gate then refuses only an accuracy regression; e.g. 0.1 also refuses a coverage drop of 10 points. */
const COVERAGE_GATE = num('--coverage-gate', 0);
/** The routing thresholds when the confirmed labels cannot promise the target with the bound (config whenTargetUnreached). */
const WHEN_UNREACHED = opt('--when-unreached') ?? 'best-bound';
/** With best-bound: the widest cut whose bound is at most this below the best (config boundTolerance; 0 = off). */
const BOUND_TOLERANCE = num('--bound-tolerance', 0);
/** The unknown share the out-of-scope thresholds assume: counted from the LLM's answers (config llm.estimateUnknownShare, 1) or estimated from the novelty scores (0, the default). */
const LLM_SHARE = num('--llm-share', 0) > 0;
/** Share of the LLM's answers also queued for the reviewer to check (config review.llmCheckSampleRate; the product's default 0.01). */
const LLM_CHECK = num('--llm-check', 0.01);
/** Which people's labels calibrate the thresholds (config retrain.calibrateOn): only those drawn at random from the traffic (the product's default, sampled), or all. */
const CALIBRATE_ON = opt('--calibrate-on') ?? 'sampled';
/** Config groupSimilarity for every training of the replay; the product's default when absent. */
const GROUP_SIMILARITY = opt('--group-similarity') === undefined ? undefined : num('--group-similarity', 0.9);
if (CALIBRATE_ON !== 'all' && CALIBRATE_ON !== 'sampled') throw new Error(`--calibrate-on: expected all or sampled, got ${CALIBRATE_ON}`);
if (LLM_CHECK > 1) {
  console.error(`error: --llm-check is a share from 0 to 1, got ${LLM_CHECK}`);
  process.exit(2);
}
/**
 * retrain.labels.maxPerIntentPerDay counts machine labels per intent and UTC day of their
 * timestamps, but the replay runs its `--days` days within minutes of one real day: the default
 * 50 a day would then cap the whole replay at 50 per intent. So the replay's cap is the
 * default per simulated day (50 × days); `--day-cap N` sets it (0 = no cap).
 */
const DAY_CAP = num('--day-cap', 50 * DAYS);
const SEED_PER_INTENT = 10;
const GATE_PER_INTENT = 2;
const AUDIT_RATE = 0.01;
const CONCURRENCY = 8;
/**
 * Messages per request: 1 (the default) sends each message alone to `POST /v1/classify`, as live
 * traffic arrives; N > 1 sends them N at a time to `POST /v1/classify/batch` (the same service
 * path; a slow encoder then runs once per batch). Not the same replay: a batch's LLM fallbacks
 * go out at once, and at 8 × 16 in flight some failed (their messages went to review).
 */
const BATCH = Math.max(1, Math.floor(num('--batch', 1)));

/** The issue's reference: a plain simulation of the same replay (TF-IDF + linear SVM, retrained daily). */
const REFERENCE = { llmShareDay1: 0.71, llmShare: 0.3, acceptedAccuracy: 0.975, endToEndAccuracy: 0.96, testAccuracy: 0.895 };
const TARGETS = { llmShare: 0.15, acceptedAccuracy: 0.96, endToEndAccuracy: 0.92, testAccuracy: 0.9 };

type Row = { text: string; label: string };
const rows = (f: string): Row[] => readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Row);
const train = rows(join(dataDir, 'train.jsonl'));
const test = rows(join(dataDir, 'test.jsonl'));
const rand = mulberry32(SEED);
const shuffle = <T>(xs: T[]): T[] => {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
};
const labels = [...new Set(train.map((r) => r.label))].sort();
const withheld = new Set(shuffle([...labels]).slice(0, WITHHELD));
const stream = shuffle([...train]);
const taken = new Map<string, number>();
const seedRows: Row[] = [];
const gateRows: Row[] = [];
const traffic: Row[] = [];
const late: Row[] = [];
// the loop refuses seed data that holds a text of its gate set (near-duplicates compared, as
// BANKING77 repeats some texts): a repeat of a text already taken stays in the stream
const takenKeys = new Set<string>();
for (const r of stream) {
  const n = taken.get(r.label) ?? 0;
  if (!withheld.has(r.label) && n < SEED_PER_INTENT && !takenKeys.has(nearKey(r.text))) {
    takenKeys.add(nearKey(r.text));
    taken.set(r.label, n + 1);
    (n < GATE_PER_INTENT ? gateRows : seedRows).push(r);
  } else (withheld.has(r.label) ? late : traffic).push(r);
}
const byDay: Row[][] = Array.from({ length: DAYS }, () => []);
traffic.forEach((r, i) => byDay[Math.floor((i * DAYS) / traffic.length)].push(r));
const lateDays = Math.max(1, DAYS - WITHHELD_FROM + 1);
late.forEach((r, i) => byDay[Math.min(DAYS - 1, WITHHELD_FROM - 1 + Math.floor((i * lateDays) / late.length))].push(r));
for (const d of byDay) shuffle(d);
const days = byDay.map((d) => d.slice(0, PER_DAY));
const gold = new Map([...train, ...test].map((r) => [r.text, r.label]));
const goldKey = new Map([...train, ...test].map((r) => [nearKey(r.text), r.label]));
/** A message's gold intent: by its text, else by its near-key (the same message normalised). */
const goldOf = (text: string): string | undefined => gold.get(text) ?? goldKey.get(nearKey(text));

const work = mkdtempSync(join(tmpdir(), 'intentops-bench-loop-'));
const seedFile = join(work, 'seed.jsonl');
const gateFile = join(work, 'gate.jsonl');
const gatesFile = join(work, 'gates.yaml');
writeFileSync(seedFile, seedRows.map((r) => JSON.stringify(r)).join('\n') + '\n');
writeFileSync(gateFile, gateRows.map((r) => JSON.stringify(r)).join('\n') + '\n');
// the gate set is small (2 per intent): no absolute floor; no significant regression against the champion (and, with --coverage-gate, no drop of coverage)
writeFileSync(gatesFile, stringify({ version: 1, maxRegression: { accuracy: 0.03, ...(COVERAGE_GATE > 0 && { coverage: COVERAGE_GATE }) }, noSignificantRegression: true, alpha: 0.05 }));

const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)} %` : '–');
const ratio = (x: number, ref: number) => (Number.isFinite(x) ? `${(x / ref).toFixed(2)}×` : '–');
const log = createLogger({ level: 'warn', destination: new Writable({ write: (c, _e, cb) => (process.stderr.write(c), cb()) }) as never });

const fake = await startFakeLlm({ oracle: { labels: gold, accuracy: LLM_ACCURACY, seed: SEED } });
const db = (n: string) => `sqlite:${join(work, n)}`;
const configFile = join(work, 'intentops.yaml');
writeFileSync(
  configFile,
  stringify({
    embedder: EMBEDDER,
    whenTargetUnreached: WHEN_UNREACHED,
    boundTolerance: BOUND_TOLERANCE,
    ...(GROUP_SIMILARITY !== undefined && { groupSimilarity: GROUP_SIMILARITY }),
    onnx: { modelDir, threads: 2 },
    cacheDir: join(work, 'cache'),
    registry: { uri: db('registry.db'), artifacts: `file:${join(work, 'artifacts')}`, pollMs: 200 },
    review: { uri: db('review.db'), maxOpen: 100_000, llmCheckSampleRate: LLM_CHECK },
    events: { uri: db('events.db'), storeTexts: true },
    tracking: { uri: db('tracking.db') },
    cache: { uri: 'none' },
    logging: { level: 'warn' },
    llm: { provider: 'openai-chat', baseUrl: fake.baseUrl, model: 'gpt-4o-mini', apiKey: 'bench', estimateUnknownShare: LLM_SHARE },
    monitor: { audit: { sampleRate: AUDIT_RATE } },
    retrain: { calibrateOn: CALIBRATE_ON, labels: { maxPerIntentPerDay: DAY_CAP } },
    rollout: { shadowQueue: 100_000 },
    loop: { name: 'banking', data: seedFile, test: gateFile, gates: gatesFile, workDir: join(work, 'loop'), minNewLabels: 1, shadow: { minMessages: SHADOW, minAgreement: 0.5, maxWaitHours: 1000 } },
  }),
);
const c = loadConfig({ file: configFile, env: {} });

const t0 = performance.now();
const first = join(work, 'seed-model');
await trainModel({ ...trainSettings(c), data: seedFile, out: first, name: 'banking' });
{
  const reg = await openRegistry(c);
  await registerBundle(reg, first, 'banking', { who: 'bench' });
  await setAlias(reg, 'banking', 'champion', 1, { who: 'bench', why: 'seed model' });
  await reg.store.close();
}
const serving = await openServing(c, { modelDir: 'models:/banking@champion', log });
const rollout = async () => (await (await serving.app.request('/v1/rollout?analysis=true')).json()) as RolloutStatus;
const until = async (cond: (s: RolloutStatus) => boolean, what: string) => {
  for (let i = 0; i < 600; i++) {
    if (cond(await rollout())) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not within 60 s: ${what}`);
};

/**
 * Where each day's time goes: wall seconds and CPU seconds (this process, all its threads) per
 * phase of the replay, and per stage of the loop's retrains (told by the retrain's progress).
 */
type Spent = { s: number; cpu: number };
let phases: Record<string, Spent> = {};
const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const spend = (name: string, s: number, cpu: number) => {
  const p = (phases[name] ??= { s: 0, cpu: 0 });
  p.s += s;
  p.cpu += cpu;
};
async function timed<T>(name: string, f: () => Promise<T>): Promise<T> {
  const w = performance.now();
  const c0 = cpuNow();
  try {
    return await f();
  } finally {
    spend(name, (performance.now() - w) / 1000, cpuNow() - c0);
  }
}
const STAGES: [RegExp, string][] = [[/^embedding/, 'embed'], [/^training/, 'cross-fit'], [/^out-of-scope/, 'novelty'], [/^evaluating/, 'gate eval']];
const stageTimer = (() => {
  let open: { name: string; w: number; c: number } | undefined;
  return {
    start(task: string) {
      open = { name: `  ${STAGES.find(([re]) => re.test(task))?.[1] ?? task}`, w: performance.now(), c: cpuNow() };
    },
    update() {},
    stop() {
      if (open) spend(open.name, (performance.now() - open.w) / 1000, cpuNow() - open.c);
      open = undefined;
    },
  };
})();
const phaseLine = (p: Record<string, Spent>) =>
  Object.entries(p)
    .map(([k, v]) => `${k.trim()}${k.startsWith(' ') ? '*' : ''} ${v.s.toFixed(1)}/${v.cpu.toFixed(1)}`)
    .join(', ');

const tick = async (): Promise<LoopRunResult> => {
  const { service, close } = await openLoop(c, { who: 'bench-loop', log, progress: stageTimer });
  try {
    return await service.run();
  } finally {
    await close();
  }
};

type Routing = Omit<Day['championRouting'], 'unknownShare'>;
type Hindsight = { at97: number; at96: number };
const testAccuracy = new Map<number, { accuracy: number; hindsight: Hindsight; labels: readonly string[]; routing: Routing }>();

async function championFigures(): Promise<{ version: number; accuracy: number; hindsight: Hindsight; labels: readonly string[]; routing: Routing }> {
  const reg = await openRegistry(c);
  try {
    // which version (no copy of its artifact is verified unless it has to be opened)
    const m = await findVersion(reg, 'models:/banking@champion');
    if (!testAccuracy.has(m.version)) {
      const model = await opened(reg, String(m.version));
      // at the bundle's own unknown share (reasons() moves it to the share each message was served at)
      model.setUnknownShare((model.manifest.novelty as { defaultShare?: number } | undefined)?.defaultShare ?? 0);
      const preds = await model.classify(test.map((r) => r.text), { llmAvailable: false });
      const r = model.manifest.routing;
      // the best any cut on the local confidence could do on the test messages of intents it knows, the cut chosen on them in hindsight
      const known = new Set(model.labels);
      const scored = preds.flatMap((p, i) => (known.has(test[i].label) ? [{ confidence: p.confidence, right: p.intent === test[i].label }] : []));
      testAccuracy.set(m.version, {
        accuracy: preds.filter((p, i) => p.intent === test[i].label).length / test.length,
        hindsight: { at97: hindsightCoverage(scored, 0.97), at96: hindsightCoverage(scored, 0.96) },
        labels: model.labels,
        routing: { coverage: r.coverage, precision: r.precision, precisionBound: r.precisionBound ?? null, reachedTarget: r.reachedTarget, samples: r.samples, minConfidence: r.policy.minConfidence },
      });
    }
    return { version: m.version, ...testAccuracy.get(m.version)! };
  } finally {
    await reg.store.close();
  }
}

/** The served champion's assumed unknown share when each message was sent (the novelty guard's row): rescoring uses it. */
const shareAt = new Map<string, number>();
/**
 * Why the model did not accept: a served answer of route llm carries the LLM's reason, so the
 * messages the model did not accept are scored again by a copy of the version that answered them,
 * at the unknown share it assumed then (the same bundle gives the same decision). Counts per reason:
 * low_confidence / low_margin / knn_disagrees (the routing thresholds), out_of_scope (novelty score
 * below the open threshold), unfamiliar (confident but below the novelty guard's accept threshold).
 */
const copies = new Map<string, IntentModel>();
/**
 * A copy of a registered version, opened once for the test set and the reasons (the slow
 * embedders' vectors from the disk cache, config cacheDir: the test set is encoded once, not for
 * every champion).
 */
async function opened(reg: Awaited<ReturnType<typeof openRegistry>>, version: string): Promise<IntentModel> {
  if (!copies.has(version)) copies.set(version, await openGateModel((await resolveModelUri(reg, `models:/banking/${version}`)).path, c));
  return copies.get(version)!;
}
async function reasons(rows: readonly Row[], res: readonly ClassifyResult[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const groups = new Map<string, number[]>();
  res.forEach((r, i) => {
    if (r.route === 'accepted' || r.variant !== 'champion') return;
    // a contested intent's confident message: its rescoring (no contested intents) would say confident
    if (r.local.reason === 'contested') {
      out.contested = (out.contested ?? 0) + 1;
      return;
    }
    const k = `${r.model.version}|${shareAt.get(r.id) ?? -1}`;
    const g = groups.get(k);
    if (g) g.push(i);
    else groups.set(k, [i]);
  });
  const reg = await openRegistry(c);
  try {
    for (const [k, idx] of groups) {
      const [version, share] = k.split('|');
      const m = await opened(reg, version);
      if (Number(share) >= 0) m.setUnknownShare(Number(share));
      const preds = await m.classify(idx.map((i) => rows[i].text), { llmAvailable: true, neighbours: 0 });
      for (const p of preds) out[p.reason] = (out[p.reason] ?? 0) + 1;
    }
  } finally {
    await reg.store.close();
  }
  // versions that answered no message today and are older than those that did will not answer again
  const used = [...groups.keys()].map((k) => Number(k.split('|')[0]));
  for (const v of [...copies.keys()]) if (!used.includes(Number(v)) && Number(v) < Math.max(...used)) copies.delete(v);
  return out;
}

/**
 * One request to the serving app (retried twice on another status than 200), its answers noted
 * with the unknown share they were served at.
 */
async function served(path: string, body: unknown): Promise<ClassifyResult[]> {
  const share = serving.model().unknownShare;
  for (let attempt = 0; ; attempt++) {
    const res = await serving.app.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (res.status === 200) {
      const json = (await res.json()) as ClassifyResult | { items: ClassifyResult[] };
      const out = 'items' in json ? json.items : [json];
      for (const o of out) shareAt.set(o.id, share);
      return out;
    }
    if (attempt >= 2) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
  }
}

const classifyBatch = (rs: readonly Row[]): Promise<ClassifyResult[]> => served('/v1/classify/batch', { items: rs.map((r) => ({ text: r.text })) });
const classify = async (r: Row): Promise<ClassifyResult> => (await served('/v1/classify', { text: r.text }))[0];

/**
 * The reviewer's look at intent discovery (`intentops discover`): the largest clusters of the open
 * unsure and out-of-scope items first, at most `n` a day, each counted as one item of the day's
 * budget. A cluster whose representative messages all carry one gold intent is accepted as that
 * intent (a new one when the model lacks it): every member becomes a label, right or not, as when a
 * person accepts a cluster after reading its representatives. Mixed clusters are left alone.
 */
async function discoverAndAccept(n: number): Promise<Discovery> {
  const out: Discovery = { looked: 0, accepted: 0, labelled: 0, newIntents: [], clusters: [] };
  const reviews = serving.deps.reviews;
  if (n <= 0 || !reviews) return out;
  const model = serving.model();
  const d = new DiscoverService({ queue: reviews, embedder: model.embedder, labels: model.labels });
  const report = await d.discover();
  // what the reviewer could have looked at: every cluster, largest first, with its members' gold intents
  const textOf = new Map<string, string>();
  for (let after: string | undefined; ; ) {
    const page = await reviews.list({ state: 'open', limit: 1000, ...(after ? { after } : {}) });
    for (const it of page) textOf.set(it.id, it.text);
    if (page.length < 1000) break;
    after = page[page.length - 1].id;
  }
  const bySize = [...report.clusters].sort((a, b) => b.size - a.size);
  out.clusters = bySize.map((cl) => {
    const byGold: Record<string, number> = {};
    for (const id of cl.memberIds) {
      const g = goldOf(textOf.get(id) ?? '') ?? '?';
      byGold[g] = (byGold[g] ?? 0) + 1;
    }
    return { size: cl.size, gold: byGold };
  });
  for (const cl of bySize.slice(0, n)) {
    out.looked++;
    const seen = new Set(cl.representatives.map((r) => goldOf(r.text)));
    const [label] = [...seen];
    if (seen.size !== 1 || !label) continue;
    try {
      const a = await d.accept(cl.id, label, 'reviewer');
      out.accepted++;
      out.labelled += a.labelled.length;
      if (a.newIntent && !out.newIntents.includes(label)) out.newIntents.push(label);
    } catch (e) {
      // an earlier acceptance took some of its members: the cluster changed; the next day's discovery sees it again
      if (!/no cluster/.test((e as Error).message)) throw e;
    }
  }
  return out;
}

/** One day's look at discovery: what was looked at and accepted, and every cluster shown (size, members' gold intents). */
interface Discovery {
  looked: number;
  accepted: number;
  labelled: number;
  newIntents: string[];
  clusters: { size: number; gold: Record<string, number> }[];
}

async function review(budget: number): Promise<{ answered: number; open: number }> {
  const store = await openReviewStore(c.review.uri);
  try {
    let answered = 0;
    // in queue order: the item worth most first (expected value: doubt × similar messages waiting)
    for (let tries = 0; answered < budget && tries < budget * 5; tries++) {
      const item = await store.claimNext('reviewer');
      if (!item) break;
      const label = goldOf(item.text);
      if (!label) {
        await store.resolve(item.id, 'reviewer', { skip: true });
        continue;
      }
      await store.resolve(item.id, 'reviewer', { label });
      answered++;
    }
    return { answered, open: await store.openCount() };
  } finally {
    await store.close();
  }
}

/** A withheld intent's messages of one day: their routes, how many were queued for review, what the accepted ones were taken for. */
interface WithheldIntent {
  routes: Record<string, number>;
  queued: number;
  acceptedAs: Record<string, number>;
}

interface Day {
  day: number;
  messages: number;
  llmShare: number;
  acceptedCoverage: number;
  acceptedAccuracy: number;
  endToEndAccuracy: number;
  reviewShare: number;
  llmCalls: number;
  auditCalls: number;
  costPer1000: number;
  reviewItems: number;
  /** Confident messages sent to the LLM because their intent was contested (llm.contested), and how many of those the model had right. */
  contested: { messages: number; modelRight: number };
  reviewed: number;
  /** Discovery clusters the reviewer looked at, accepted, the items they labelled, and the new intents named. */
  discovery: Discovery;
  openReview: number;
  labels: Record<string, unknown> | null;
  loop: string[];
  loopMessages: string[];
  champion: number;
  testAccuracy: number;
  /** The champion on the BANKING77 test messages of the intents it knows: the largest share a confidence cut chosen on them in hindsight accepts at ≥ 97 % and ≥ 96 % accuracy (what no calibrated cut can beat on that data). */
  testHindsight: Hindsight;
  withheld: { messages: number; routes: Record<string, number>; correct: number; known: string[]; byIntent: Record<string, WithheldIntent> } | null;
  /** Why the champion did not accept the other messages (counts per routing reason; see reasons()). */
  notAccepted: Record<string, number>;
  /** The day's last champion: its calibrated routing (coverage and accuracy on its calibration rows, the bound, how many rows) and the unknown share served. */
  championRouting: { coverage: number; precision: number; precisionBound: number | null; reachedTarget: boolean; samples: number; minConfidence: number; unknownShare: number };
  seconds: number;
  /** CPU seconds of this process (all threads) over the day. */
  cpuSeconds: number;
  /** Wall and CPU seconds per phase; names indented by two spaces are stages of the loop's retrains (within `loop run` and `shadow tick`). */
  phases: Record<string, Spent>;
}

const out: Day[] = [];
console.log(`loop on BANKING77 — ${EMBEDDER}; ${DAYS} days, ${days.reduce((a, d) => a + d.length, 0)} messages; seed labels ${seedRows.length} (+${gateRows.length} held out for the gate); withheld until day ${WITHHELD_FROM}: ${[...withheld].join(', ')}; reviewer ${REVIEWS}/day (up to ${DISCOVER} of them discovery clusters); thresholds when the target is unreached: ${WHEN_UNREACHED}${BOUND_TOLERANCE > 0 ? ` (widest within ${BOUND_TOLERANCE} of the best bound)` : ''}; unknown share ${LLM_SHARE ? 'counted from the LLM answers' : 'estimated from the novelty scores'}; machine labels per intent and real day ≤ ${DAY_CAP || '∞'}; paraphrase groups at ${GROUP_SIMILARITY ?? "the default"}; LLM oracle accuracy ${LLM_ACCURACY}; ${new Date().toISOString()}`);
console.log(`seed model trained and served in ${((performance.now() - t0) / 1000).toFixed(1)} s; test accuracy ${pct((await championFigures()).accuracy)}\n`);
let waiting = false;
try {
  for (let d = 0; d < DAYS; d++) {
    const start = performance.now();
    const cpu0 = cpuNow();
    phases = {};
    const msgs = days[d];
    const calls0 = fake.requests.length;
    const steps: string[] = [];
    const said: string[] = [];
    let labelsUsed: Record<string, unknown> | null = null;
    const note = (r: LoopRunResult) => {
      steps.push(`${r.status}${r.iteration.version !== null ? ` v${r.iteration.version}` : ''}`);
      said.push(`iteration ${r.iteration.id} ${r.status}: ${r.message}`);
      if (r.iteration.detail.added) labelsUsed = { ...(r.iteration.detail.added as Record<string, unknown>), ...((r.iteration.detail.machineLabels as Record<string, unknown> | undefined) ?? {}) };
    };
    const results: ClassifyResult[] = new Array(msgs.length);
    let next = 0;
    let sinceTick = 0;
    while (next < msgs.length) {
      const from = next;
      const end = waiting ? Math.min(msgs.length, next + Math.max(1, SHADOW - sinceTick)) : msgs.length;
      await timed('traffic', () =>
        Promise.all(
          Array.from({ length: CONCURRENCY }, async () => {
            while (next < end) {
              if (BATCH === 1) {
                const i = next++;
                results[i] = await classify(msgs[i]);
                continue;
              }
              const from = next;
              next = Math.min(end, next + BATCH);
              (await classifyBatch(msgs.slice(from, next))).forEach((r, j) => (results[from + j] = r));
            }
          }),
        ),
      );
      sinceTick += end - from;
      if (waiting) {
        // the shadow scores reach the prediction log, then the loop judges them (an hourly CronJob tick)
        await timed('shadow wait', () => until((s) => s.mode !== 'shadow' || (s.logged?.shadow.compared ?? 0) >= SHADOW || next >= msgs.length, 'shadow scores logged').catch(() => undefined));
        const r = await timed('shadow tick', tick);
        note(r);
        sinceTick = 0;
        if (r.status !== 'waiting') {
          waiting = false;
          if (r.status === 'promoted') await timed('swap wait', () => until((s) => s.live?.champion === r.iteration.version, 'the server serves the new champion'));
        }
      }
    }
    const disc = await timed('discovery', () => discoverAndAccept(Math.min(DISCOVER, REVIEWS)));
    const rev = await timed('review', () => review(REVIEWS - disc.looked));
    const r = await timed('loop run', tick);
    note(r);
    waiting = r.status === 'waiting';
    if (waiting) await timed('swap wait', () => until((s) => s.live?.challenger === r.iteration.version, 'the server loads the challenger'));
    if (r.status === 'promoted') await timed('swap wait', () => until((s) => s.live?.champion === r.iteration.version, 'the server serves the new champion'));
    const champ = await timed('test set', championFigures);
    const notAccepted = await timed('reasons', () => reasons(msgs, results));

    const n = msgs.length;
    const right = (i: number) => results[i].intent === msgs[i].label;
    const idx = [...msgs.keys()];
    const accepted = idx.filter((i) => results[i].route === 'accepted');
    const llm = idx.filter((i) => results[i].route === 'llm');
    const cost = llm.reduce((a, i) => a + (results[i].llm?.costUsd ?? 0), 0);
    const calls = fake.requests.length - calls0;
    // fallback calls: answered (route llm) or failed (the answer was unusable, e.g. an intent the model does not have: route review)
    const fallback = idx.filter((i) => results[i].timings.llmMs > 0).length;
    const perCall = llm.length ? cost / llm.length : 0;
    const held = idx.filter((i) => withheld.has(msgs[i].label));
    const contestedIdx = idx.filter((i) => results[i].local.reason === 'contested');
    // their routes, in all and per withheld intent, and what each one's accepted messages were taken
    // for (a near intent that swallows a new one keeps it out of the unsure pool discovery clusters)
    const routes: Record<string, number> = {};
    const byIntent: Record<string, WithheldIntent> = {};
    for (const i of held) {
      routes[results[i].route] = (routes[results[i].route] ?? 0) + 1;
      const e = (byIntent[msgs[i].label] ??= { routes: {}, queued: 0, acceptedAs: {} });
      e.routes[results[i].route] = (e.routes[results[i].route] ?? 0) + 1;
      if (results[i].review) e.queued++;
      if (results[i].route === 'accepted') e.acceptedAs[results[i].intent] = (e.acceptedAs[results[i].intent] ?? 0) + 1;
    }
    const day: Day = {
      day: d + 1,
      messages: n,
      llmShare: llm.length / n,
      acceptedCoverage: accepted.length / n,
      acceptedAccuracy: accepted.filter(right).length / accepted.length,
      endToEndAccuracy: idx.filter((i) => results[i].route !== 'review' && right(i)).length / n,
      reviewShare: idx.filter((i) => results[i].route === 'review').length / n,
      llmCalls: calls,
      auditCalls: calls - fallback,
      // failed fallback calls and audit judgements priced like an answered fallback call of the day
      costPer1000: ((cost + perCall * (calls - llm.length)) / n) * 1000,
      reviewItems: idx.filter((i) => results[i].review).length,
      contested: { messages: contestedIdx.length, modelRight: contestedIdx.filter((i) => results[i].local.intent === msgs[i].label).length },
      reviewed: rev.answered,
      discovery: disc,
      openReview: rev.open,
      labels: labelsUsed,
      loop: steps,
      loopMessages: said,
      champion: champ.version,
      testAccuracy: champ.accuracy,
      testHindsight: champ.hindsight,
      withheld: held.length || d + 1 >= WITHHELD_FROM ? { messages: held.length, routes, correct: held.filter(right).length, known: [...withheld].filter((l) => champ.labels.includes(l)), byIntent } : null,
      notAccepted,
      championRouting: { ...champ.routing, unknownShare: serving.model().unknownShare },
      seconds: (performance.now() - start) / 1000,
      cpuSeconds: cpuNow() - cpu0,
      phases,
    };
    out.push(day);
    const lab = labelsUsed ? Object.entries(labelsUsed as Record<string, unknown>).filter(([, v]) => typeof v === 'number' && v > 0).map(([k, v]) => `${k} ${v}`).join(', ') : '–';
    console.log(
      `day ${String(day.day).padStart(2)}: ${n} msgs  LLM ${pct(day.llmShare)}  accepted ${pct(day.acceptedCoverage)} @ ${pct(day.acceptedAccuracy)}  end-to-end ${pct(day.endToEndAccuracy)}  review ${pct(day.reviewShare)}  LLM calls ${calls} (${day.auditCalls} audits)  $${day.costPer1000.toFixed(4)}/1k  review items ${day.reviewItems}${day.contested.messages ? `, contested ${day.contested.messages} (model right ${day.contested.modelRight})` : ''}, answered ${rev.answered}, clusters ${disc.accepted}/${disc.looked} accepted (${disc.labelled} items${disc.newIntents.length ? `, new: ${disc.newIntents.join(' ')}` : ''}), open ${rev.open}  labels: ${lab}  loop: ${steps.join(' → ')}  champion v${champ.version} test ${pct(champ.accuracy)}  ${day.seconds.toFixed(0)} s`,
    );
    console.log(`        time (wall/CPU s): ${phaseLine(phases)}; day ${day.seconds.toFixed(1)}/${day.cpuSeconds.toFixed(1)} (* = retrain stage)`);
    const cr = day.championRouting;
    console.log(
      `        not accepted, by reason: ${Object.entries(notAccepted).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v} (${pct(v / n)})`).join(', ') || 'none'}; champion v${champ.version} calibrated on ${cr.samples} confirmed rows: coverage ${pct(cr.coverage)} @ ${pct(cr.precision)} (bound ${cr.precisionBound === null ? '–' : pct(cr.precisionBound)}${cr.reachedTarget ? '' : ', target NOT reached'}), min confidence ${cr.minConfidence.toFixed(3)}; unknown share assumed ${pct(cr.unknownShare)}; on the test set, a cut chosen in hindsight accepts at most ${pct(day.testHindsight.at97)} at 97 %, ${pct(day.testHindsight.at96)} at 96 %`,
    );
    for (const m of said.filter((x) => / stopped: /.test(x))) console.log(`        ${m}`);
    if (disc.clusters.length) {
      const show = (g: Record<string, number>) => Object.entries(g).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(' + ');
      console.log(`        discovery: ${disc.clusters.length} clusters: ${disc.clusters.slice(0, 8).map((cl) => `${cl.size} (${show(cl.gold)})`).join('; ')}${disc.clusters.length > 8 ? '; …' : ''}`);
    }
    if (day.withheld) {
      console.log(`        withheld intents: ${day.withheld.messages} msgs, routes ${JSON.stringify(day.withheld.routes)}, right ${day.withheld.correct}; known: ${day.withheld.known.join(', ') || 'none'}`);
      for (const [label, e] of Object.entries(day.withheld.byIntent)) {
        const as = Object.entries(e.acceptedAs).sort((a, b) => b[1] - a[1]).slice(0, 3).map(([k, v]) => `${k} ${v}`).join(', ');
        console.log(`          ${label}: routes ${JSON.stringify(e.routes)}, queued for review ${e.queued}${as ? `; accepted as ${as}` : ''}`);
      }
    }
  }
} finally {
  await serving.close();
  await fake.close();
}

const last = out[out.length - 1];
const knownOn = [...withheld].map((l) => ({ intent: l, day: out.find((d) => d.withheld?.known.includes(l))?.day ?? null }));
const final = { llmShare: last.llmShare, acceptedAccuracy: last.acceptedAccuracy, endToEndAccuracy: last.endToEndAccuracy, costPer1000: last.costPer1000, testAccuracy: last.testAccuracy };
const minAccepted = Math.min(...out.map((d) => d.acceptedAccuracy));
// the last day alone moves with the thresholds one model happened to choose: the mean over the days after the first is steadier
const later = out.length > 1 ? out.slice(1) : out;
const meanLlmShare = later.reduce((a, d) => a + d.llmShare, 0) / later.length;
const total = (performance.now() - t0) / 1000;
console.log(`\nlast day (day ${last.day}) against the reference (TF-IDF + linear SVM simulation) and the targets:`);
console.log(`  LLM share            ${pct(final.llmShare)}   reference ${pct(REFERENCE.llmShare)} (ratio ${ratio(final.llmShare, REFERENCE.llmShare)})   target ≤ ${pct(TARGETS.llmShare)}   day 1: ${pct(out[0].llmShare)} (reference ${pct(REFERENCE.llmShareDay1)}); mean of days ${later[0].day}–${last.day}: ${pct(meanLlmShare)}`);
console.log(`  accepted accuracy    ${pct(final.acceptedAccuracy)}   reference ${pct(REFERENCE.acceptedAccuracy)} (ratio ${ratio(final.acceptedAccuracy, REFERENCE.acceptedAccuracy)})   target ≥ ${pct(TARGETS.acceptedAccuracy)} every day (lowest day ${pct(minAccepted)})`);
console.log(`  end-to-end accuracy  ${pct(final.endToEndAccuracy)}   reference ${pct(REFERENCE.endToEndAccuracy)} (ratio ${ratio(final.endToEndAccuracy, REFERENCE.endToEndAccuracy)})   target ≥ ${pct(TARGETS.endToEndAccuracy)}`);
console.log(`  test accuracy        ${pct(final.testAccuracy)}   reference ${pct(REFERENCE.testAccuracy)} (ratio ${ratio(final.testAccuracy, REFERENCE.testAccuracy)})   target ≥ ${pct(TARGETS.testAccuracy)}`);
console.log(`  cost per 1,000       $${final.costPer1000.toFixed(4)}`);
console.log(`  withheld intents known on day: ${knownOn.map((k) => `${k.intent} ${k.day ?? 'never'}`).join(', ')} (they appear on day ${WITHHELD_FROM}; target: within 2 days)`);
const totalCpu = cpuNow();
console.log(`  whole replay ${total.toFixed(0)} s, ${totalCpu.toFixed(0)} CPU-s (target ≤ 1200 s)`);
const allPhases: Record<string, Spent> = {};
for (const d of out) for (const [k, v] of Object.entries(d.phases)) ((allPhases[k] ??= { s: 0, cpu: 0 }).s += v.s), (allPhases[k].cpu += v.cpu);
console.log(`  time by phase (wall/CPU s, all days): ${phaseLine(allPhases)}`);

const json = opt('--json');
if (json) {
  writeFileSync(
    json,
    JSON.stringify({ date: new Date().toISOString(), settings: { embedder: EMBEDDER, batch: BATCH, coverageGate: COVERAGE_GATE, discover: DISCOVER, whenUnreached: WHEN_UNREACHED, boundTolerance: BOUND_TOLERANCE, llmShare: LLM_SHARE, llmCheck: LLM_CHECK, calibrateOn: CALIBRATE_ON, groupSimilarity: GROUP_SIMILARITY ?? null, dayCap: DAY_CAP, days: DAYS, perDay: Number.isFinite(PER_DAY) ? PER_DAY : null, seed: SEED, reviews: REVIEWS, withheld: [...withheld], withheldFrom: WITHHELD_FROM, shadow: SHADOW, llmAccuracy: LLM_ACCURACY }, reference: REFERENCE, targets: TARGETS, days: out, withheldKnown: knownOn, meanLlmShare, seconds: total, cpuSeconds: totalCpu, phases: allPhases, final }, null, 2),
  );
}
rmSync(work, { recursive: true, force: true });
process.exit(0);
