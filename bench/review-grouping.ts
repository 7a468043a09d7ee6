/**
 * Paraphrase grouping of the review queue (src/core/review/near.ts) on BANKING77: where to put
 * the cosine threshold, per embedder. The test set's 3,080 messages (77 intents, 40 each: many
 * ways of asking the same thing) arrive one by one in a seeded order, as if all went to review;
 * each joins its nearest open item when that item's first text is at least `t` similar, else
 * opens an item. Printed per threshold, over the seeds (min–max):
 *   - precision: of the messages that joined an item, the share whose gold intent is the item's
 *     first message's (a label given to the item is right for them);
 *   - merged: the share of messages that joined an item (1 − items / messages), the review work saved;
 *   - the cost of one lookup among `--open` held items (the serving path pays it once per message
 *     sent to review), against the embedder's own time per message (the same run).
 * Usage: npm run bench:grouping -- [--embedders hashed,onnx,hashed+onnx] [--seeds 3] [--limit N] [--json FILE]
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createEmbedder, fitEmbedder } from '../src/adapters/embedders/index.js';
import { mulberry32 } from '../src/core/dataset/index.js';
import { NearDuplicateIndex } from '../src/core/review/near.js';
import { loadExamples } from '../src/app/services/dataset.js';
import { benchArgs } from './args.js';

const { opt, dataDir, modelDir } = benchArgs();
const specs = (opt('--embedders') ?? 'hashed,onnx,hashed+onnx').split(',');
const seeds = Number(opt('--seeds') ?? 3);
const limit = Number(opt('--limit') ?? Infinity);
const THRESHOLDS = [0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95];

const train = (await loadExamples(join(dataDir, 'train.jsonl'), { keepDuplicates: true })).examples;
const test = (await loadExamples(join(dataDir, 'test.jsonl'), { keepDuplicates: true })).examples.slice(0, limit);

function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const r = mulberry32(seed);
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

const span = (xs: number[]) => `${Math.min(...xs).toFixed(3)}–${Math.max(...xs).toFixed(3)}`;
const results: Record<string, unknown>[] = [];
for (const spec of specs) {
  const e = await createEmbedder(spec, { onnx: { modelDir, threads: 2 } });
  await fitEmbedder(e, train.map((x) => x.text));
  const t0 = performance.now();
  const vecs = (await e.embed(test.map((x) => x.text))).map((v) => v.dense);
  const embedMs = (performance.now() - t0) / test.length;
  console.log(`\n${spec} (dim ${e.dim}; embedding: ${embedMs.toFixed(3)} ms per message in batches)`);
  console.log(`threshold  precision (min–max)  merged (min–max)`);
  for (const t of THRESHOLDS) {
    const prec: number[] = [];
    const merged: number[] = [];
    for (let s = 1; s <= seeds; s++) {
      const order = shuffled(test.map((x, i) => ({ ...x, i })), s);
      const near = new NearDuplicateIndex(e.dim, { minSimilarity: t, capacity: 10_000 });
      const founder = new Map<string, string>();
      let joined = 0;
      let right = 0;
      for (const m of order) {
        const hit = near.nearest(vecs[m.i]);
        if (hit) {
          joined++;
          if (founder.get(hit.id) === m.label) right++;
        } else {
          near.add(String(m.i), m.text, vecs[m.i]);
          founder.set(String(m.i), m.label);
        }
      }
      prec.push(joined ? right / joined : 1);
      merged.push(joined / order.length);
    }
    console.log(`${t.toFixed(2).padEnd(10)} ${span(prec).padEnd(20)} ${span(merged)}`);
    results.push({ embedder: spec, threshold: t, seeds, messages: test.length, precision: { min: Math.min(...prec), max: Math.max(...prec) }, merged: { min: Math.min(...merged), max: Math.max(...merged) } });
  }
  // serving cost: one lookup among `open` held items, against embedding one message (batch of 1)
  for (const open of [1000, 5000]) {
    const near = new NearDuplicateIndex(e.dim, { minSimilarity: 0.99, capacity: open });
    for (let i = 0; i < open; i++) near.add(`x${i}`, '', vecs[i % vecs.length]);
    const n = 2000;
    const l0 = performance.now();
    for (let i = 0; i < n; i++) near.nearest(vecs[i % vecs.length]);
    const lookupMs = (performance.now() - l0) / n;
    const one0 = performance.now();
    for (let i = 0; i < 50; i++) await e.embed([test[i].text]);
    const singleMs = (performance.now() - one0) / 50;
    console.log(`lookup among ${open} open items: ${lookupMs.toFixed(3)} ms; embedding one message: ${singleMs.toFixed(3)} ms (ratio ${(lookupMs / singleMs).toFixed(3)})`);
    results.push({ embedder: spec, open, lookupMs, singleEmbedMs: singleMs });
  }
}
const json = opt('--json');
if (json) writeFileSync(json, JSON.stringify({ date: new Date().toISOString(), results }, null, 2));
