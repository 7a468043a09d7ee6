/**
 * `npm run bench:labels [-- --embedder hashed] [--llm 3000] [--noise 0.1] [--seeds 1,2] [--json FILE]`
 *
 * What machine labels do to training and calibration (issue #18, item 1), on BANKING77: 10
 * labelled examples per intent (the seed, 770) plus `--llm` other training messages labelled by a
 * simulated LLM (the gold label, replaced by a random other intent with probability `--noise`).
 * Four trainings, each scored on the whole test set at the bundle's own thresholds:
 *   seed only                      — the reference;
 *   LLM labels calibrating          — weight 0.5, their held-out predictions choose the thresholds (the naive way);
 *   LLM labels, calibrated on seed  — weight 0.5, thresholds from the seed's predictions only (what retrain does);
 *   … at weight 1                   — the same, LLM labels weighing as much as a person's.
 * Printed per training (mean over seeds, min–max in brackets): test accuracy, accepted share
 * (coverage; the rest would go to the LLM), accuracy on accepted messages, and the ratio of each
 * to the seed-only reference.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readBundle } from '../src/adapters/bundle/index.js';
import { mulberry32 } from '../src/core/dataset/index.js';
import { modelFromBundle, trainingKit } from '../src/app/container/index.js';
import { train, type TrainingExample } from '../src/app/services/train.js';
import { benchArgs } from './args.js';

const { opt, dataDir, modelDir } = benchArgs();
const embedder = opt('--embedder') ?? 'hashed';
const llmCount = Number(opt('--llm') ?? 3000);
const noise = Number(opt('--noise') ?? 0.1);
const seeds = (opt('--seeds') ?? '1').split(',').map(Number);
const SEED_PER_INTENT = 10;

type Row = { text: string; label: string };
const rows = (f: string): Row[] => readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Row);
const all = rows(join(dataDir, 'train.jsonl'));
const test = rows(join(dataDir, 'test.jsonl'));
const labels = [...new Set(all.map((r) => r.label))].sort();

const CONFIGS: readonly { name: string; llm?: { weight: number; calibrate: boolean } }[] = [
  { name: 'seed only' },
  { name: 'LLM labels calibrating' },
  { name: 'LLM labels, calibrated on seed' },
  { name: '… at weight 1' },
].map((c, i) => (i === 0 ? c : { ...c, llm: [{ weight: 0.5, calibrate: true }, { weight: 0.5, calibrate: false }, { weight: 1, calibrate: false }][i - 1] }));

/** The seed (10 per intent) and the simulated LLM's labels for the next `llmCount` messages of a shuffle. */
function split(seed: number): { seedRows: Row[]; llm: Row[] } {
  const rnd = mulberry32(seed);
  const idx = all.map((_, i) => i);
  for (let i = idx.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  const per = new Map<string, number>();
  const seedRows: Row[] = [];
  const rest: Row[] = [];
  for (const i of idx) {
    const n = per.get(all[i].label) ?? 0;
    if (n < SEED_PER_INTENT) {
      seedRows.push(all[i]);
      per.set(all[i].label, n + 1);
    } else rest.push(all[i]);
  }
  const llm = rest.slice(0, llmCount).map((r) => (rnd() < noise ? { ...r, label: labels[(labels.indexOf(r.label) + 1 + Math.floor(rnd() * (labels.length - 1))) % labels.length] } : r));
  return { seedRows, llm };
}

const work = mkdtempSync(join(tmpdir(), 'intentops-bench-labels-'));
const results: Record<string, { testAccuracy: number[]; coverage: number[]; acceptedAccuracy: number[]; seconds: number[] }> = {};
console.log(`machine labels on BANKING77 — ${embedder}; ${SEED_PER_INTENT} seed labels per intent, ${llmCount} LLM labels at noise ${noise}; seeds ${seeds.join(', ')}; ${new Date().toISOString()}\n`);
try {
  for (const seed of seeds) {
    const { seedRows, llm } = split(seed);
    const data = join(work, `seed-${seed}.jsonl`);
    writeFileSync(data, seedRows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    for (const c of CONFIGS) {
      const out = join(work, `m-${seed}-${CONFIGS.indexOf(c)}`);
      const t0 = performance.now();
      const extra: TrainingExample[] = c.llm ? llm.map((r) => ({ ...r, ...c.llm })) : [];
      await train({ data, out, embedder, embedderOptions: { onnx: { modelDir, threads: 2 } }, seed, extra, cacheDir: join(work, 'cache') }, trainingKit);
      const seconds = (performance.now() - t0) / 1000;
      const model = await modelFromBundle(readBundle(out), { onnx: { modelDir, threads: 2 } });
      const preds = await model.classify(test.map((r) => r.text), { llmAvailable: true, neighbours: 0 });
      let right = 0;
      let accepted = 0;
      let acceptedRight = 0;
      preds.forEach((p, i) => {
        const ok = p.intent === test[i].label;
        right += ok ? 1 : 0;
        if (p.route === 'accepted') {
          accepted++;
          acceptedRight += ok ? 1 : 0;
        }
      });
      const r = (results[c.name] ??= { testAccuracy: [], coverage: [], acceptedAccuracy: [], seconds: [] });
      r.testAccuracy.push(right / test.length);
      r.coverage.push(accepted / test.length);
      r.acceptedAccuracy.push(accepted ? acceptedRight / accepted : Number.NaN);
      r.seconds.push(seconds);
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const fmt = (xs: number[]) => `${mean(xs).toFixed(4)} [${Math.min(...xs).toFixed(4)}–${Math.max(...xs).toFixed(4)}]`;
const ref = results[CONFIGS[0].name];
const ratio = (xs: number[], r: number[]) => `×${(mean(xs) / mean(r)).toFixed(2)}`;
console.log(['training'.padEnd(32), 'test accuracy'.padEnd(30), 'accepted share'.padEnd(30), 'accuracy on accepted'.padEnd(30), 'train s'].join(' '));
for (const c of CONFIGS) {
  const r = results[c.name];
  console.log([c.name.padEnd(32), `${fmt(r.testAccuracy)} ${ratio(r.testAccuracy, ref.testAccuracy)}`.padEnd(30), `${fmt(r.coverage)} ${ratio(r.coverage, ref.coverage)}`.padEnd(30), `${fmt(r.acceptedAccuracy)} ${ratio(r.acceptedAccuracy, ref.acceptedAccuracy)}`.padEnd(30), mean(r.seconds).toFixed(0)].join(' '));
}
console.log('\nratios: to the seed-only training (the reference). The LLM share of a replay is about 1 − accepted share.');
const json = opt('--json');
if (json) writeFileSync(json, JSON.stringify({ embedder, llm: llmCount, noise, seeds, results }, null, 2) + '\n');
