/**
 * `npm run bench:discovery [-- --embedder hashed|onnx|hashed+onnx] [--draws 20] [--similarities 0.3,0.4,…] [--json FILE]`
 *
 * How well intent discovery's clustering (src/core/discovery, average linkage cut at a minimum
 * similarity) separates new intents in a review queue, by minimum similarity, so the per-embedder
 * default (`defaultMinSimilarity`, src/app/services/discover.ts) rests on a measurement.
 *
 * The model is trained like the loop benchmark's seed model (10 labelled examples per intent of the
 * BANKING77 training set, seed 1; here of every intent) and clusters in its embedder's dense space,
 * as discovery does. Each
 * draw builds a queue from BANKING77 **test** messages: 5 intents drawn at random play new intents,
 * with 37, 26, 22, 17 and 5 messages (the day-6 queue of a `bench:loop` replay: 4 common new intents
 * and a rare one), plus 15 messages of 15 other intents, one each (the usual unsure traffic). The
 * clustering is scored as the loop's reviewer uses it: each cluster (at least 3 messages) is accepted
 * as its majority intent, so
 * - **found**: new intents with a cluster whose majority they are and that is at least 80 % theirs;
 * - **rare found**: the same for the 5-message intent;
 * - **mislabelled**: messages that acceptance would label with another intent's name, per draw;
 * - **purity**: the share of clustered messages that are their cluster's majority intent.
 * The reference is the current default for the embedder, in the same draws.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openModel, trainModel } from '../src/app/container/index.js';
import { loadConfig } from '../src/app/config.js';
import { clusterVectors } from '../src/core/discovery/agglomerative.js';
import { mulberry32, shuffled } from '../src/core/dataset/prng.js';
import { defaultMinSimilarity } from '../src/app/services/discover.js';
import { benchArgs } from './args.js';

const { opt, dataDir, modelDir } = benchArgs();
const EMBEDDER = opt('--embedder') ?? 'hashed+onnx';
const DRAWS = Number(opt('--draws') ?? 20);
const SIMS = (opt('--similarities') ?? '0.2,0.25,0.3,0.35,0.4,0.45,0.5,0.55,0.6').split(',').map(Number);
const SIZES = [37, 26, 22, 17, 5];
const NOISE = 15;
const MIN_SIZE = 3;

type Row = { text: string; label: string };
const read = (f: string): Row[] => readFileSync(join(dataDir, f), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Row);
const train = read('train.jsonl');
const test = read('test.jsonl');

// the loop's seed model: 10 examples per intent
const rnd0 = mulberry32(1);
const byLabel = new Map<string, Row[]>();
for (const r of shuffled(train, rnd0)) (byLabel.get(r.label) ?? byLabel.set(r.label, []).get(r.label)!).push(r);
const seed = [...byLabel.values()].flatMap((rows) => rows.slice(0, 10));
const dir = mkdtempSync(join(tmpdir(), 'intentops-bench-discovery-'));
try {
  const seedFile = join(dir, 'seed.jsonl');
  writeFileSync(seedFile, seed.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const out = join(dir, 'model');
  await trainModel({ data: seedFile, out, embedder: EMBEDDER, embedderOptions: { onnx: { modelDir, threads: 2 } }, seed: 1 });
  const model = await openModel(out, loadConfig({ env: {}, flags: { onnx: { modelDir } } }));
  const testBy = new Map<string, Row[]>();
  for (const r of test) (testBy.get(r.label) ?? testBy.set(r.label, []).get(r.label)!).push(r);
  const labels = [...testBy.keys()].sort();
  const current = defaultMinSimilarity(EMBEDDER);
  const sims = [...new Set([...SIMS, current])].sort((a, b) => a - b);
  const totals = new Map(sims.map((s) => [s, { found: 0, rare: 0, mislabelled: 0, clustered: 0, majority: 0, clusters: 0, perDraw: { found: [] as number[], mislabelled: [] as number[] } }]));
  const rnd = mulberry32(7);
  for (let d = 0; d < DRAWS; d++) {
    const order = shuffled(labels, rnd);
    const fresh = order.slice(0, SIZES.length);
    const noise = order.slice(SIZES.length, SIZES.length + NOISE);
    const queue: Row[] = [];
    fresh.forEach((l, i) => queue.push(...shuffled(testBy.get(l)!, rnd).slice(0, SIZES[i])));
    for (const l of noise) queue.push(testBy.get(l)![Math.floor(rnd() * testBy.get(l)!.length)]);
    const vectors = (await model.embedder.embed(queue.map((r) => r.text))).map((e) => e.dense);
    for (const s of sims) {
      const t = totals.get(s)!;
      const groups = clusterVectors(vectors, { minSimilarity: s, minSize: MIN_SIZE });
      t.clusters += groups.length;
      const foundHere = new Set<string>();
      const wrong0 = t.mislabelled;
      for (const g of groups) {
        const count = new Map<string, number>();
        for (const i of g) count.set(queue[i].label, (count.get(queue[i].label) ?? 0) + 1);
        const [top, n] = [...count].sort((a, b) => b[1] - a[1])[0];
        t.clustered += g.length;
        t.majority += n;
        t.mislabelled += g.length - n;
        if (fresh.includes(top) && n / g.length >= 0.8) foundHere.add(top);
      }
      t.found += foundHere.size;
      t.perDraw.found.push(foundHere.size);
      t.perDraw.mislabelled.push(t.mislabelled - wrong0);
      if (foundHere.has(fresh[SIZES.length - 1])) t.rare++;
    }
  }
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  // the mean's 95 % interval over the draws (normal approximation): the spread this many draws leave
  const pm = (xs: number[]) => {
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1));
    return `± ${((1.96 * sd) / Math.sqrt(xs.length)).toFixed(2)}`;
  };
  console.log(`discovery on BANKING77 test messages — ${EMBEDDER} seed model (10 per intent); ${DRAWS} draws of 5 new intents (${SIZES.join(', ')} messages) + ${NOISE} others; clusters of ≥ ${MIN_SIZE}; ${new Date().toISOString()}`);
  console.log('min similarity | new intents found (of 5; ± 95 % interval over the draws) | rare one found | mislabelled per draw | purity | clusters per draw');
  const ref = totals.get(current)!;
  for (const s of sims) {
    const t = totals.get(s)!;
    const mark = s === current ? '  ← current default' : '';
    console.log(
      `${s.toFixed(2).padStart(14)} | ${(t.found / DRAWS).toFixed(2).padStart(5)} ${pm(t.perDraw.found)} (×${(t.found / Math.max(1, ref.found)).toFixed(2)} of the default) | ${pct(t.rare / DRAWS).padStart(7)} | ${(t.mislabelled / DRAWS).toFixed(1).padStart(5)} ${pm(t.perDraw.mislabelled)} | ${pct(t.majority / Math.max(1, t.clustered)).padStart(7)} | ${(t.clusters / DRAWS).toFixed(1)}${mark}`,
    );
  }
  const json = opt('--json');
  if (json) writeFileSync(json, JSON.stringify({ date: new Date().toISOString(), embedder: EMBEDDER, draws: DRAWS, sizes: SIZES, noise: NOISE, minSize: MIN_SIZE, current, rows: sims.map((s) => ({ minSimilarity: s, ...totals.get(s)! })) }, null, 2));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
