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
 * With --cost: only the serving-path cost, 3 runs (min–max): a lookup among 2,000 held items (the
 * default capacity) and the read-back of a matched item (SQLite file), against what every review-
 * routed message costs already in the same run: its SQLite write, and embedding it with onnx.
 * Usage: npm run bench:grouping -- [--embedders hashed,onnx,hashed+onnx] [--seeds 3] [--limit N] [--cost] [--json FILE]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openReviewStore } from '../src/adapters/review-store/index.js';
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
if (process.argv.includes('--cost')) {
  const e = await createEmbedder('onnx', { onnx: { modelDir, threads: 2 } });
  const texts = test.map((x) => x.text);
  const vecs = (await e.embed(texts.slice(0, 500))).map((v) => v.dense);
  const runs: Record<string, number>[] = [];
  for (let run = 0; run < 3; run++) {
    const dir = mkdtempSync(join(tmpdir(), 'intentops-grouping-'));
    const store = await openReviewStore(`sqlite:${join(dir, 'review.db')}`);
    const near = new NearDuplicateIndex(e.dim, { minSimilarity: 0.9, capacity: 2000 });
    for (let i = 0; i < 2000; i++) near.add(`x${i}`, '', vecs[i % vecs.length].map((x, k) => x + (k === i % 384 ? 0.05 : 0)));
    const time = async (n: number, f: (i: number) => unknown) => {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) await f(i);
      return (performance.now() - t0) / n;
    };
    const item = (i: number) => ({ text: `${texts[i % texts.length]} #${run}-${i}`, guess: 'card_arrival', confidence: 0.4, alternatives: [], reason: 'low_confidence' as const, model: { name: 'm', version: '1' } });
    const ids: string[] = [];
    const addMs = await time(500, async (i) => ids.push((await store.add(item(i))).id));
    const getMs = await time(500, (i) => store.get(ids[i]));
    const lookupMs = await time(2000, (i) => near.nearest(vecs[i % vecs.length]));
    const embedMs = await time(30, (i) => e.embed([texts[i]]));
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    runs.push({ lookupMs, getMs, addMs, embedMs });
    console.log(`run ${run + 1}: lookup among 2,000 ${lookupMs.toFixed(3)} ms, read-back ${getMs.toFixed(3)} ms | reference: review write ${addMs.toFixed(3)} ms, onnx embedding of one message ${embedMs.toFixed(2)} ms`);
  }
  const r = (k: string) => span(runs.map((x) => x[k]));
  const ratio = (a: string, b: string) => span(runs.map((x) => x[a] / x[b]));
  console.log(`lookup ${r('lookupMs')} ms (${ratio('lookupMs', 'embedMs')} of an onnx embedding, ${ratio('lookupMs', 'addMs')} of the review write); read-back ${r('getMs')} ms (${ratio('getMs', 'addMs')} of the review write)`);
  const json = opt('--json');
  if (json) writeFileSync(json, JSON.stringify({ date: new Date().toISOString(), runs }, null, 2));
  process.exit(0);
}
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
