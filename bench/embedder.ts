/**
 * Benchmarks one embedder on BANKING77 in its own process (so peak RSS is its own):
 * train → test accuracy, macro-F1, risk–coverage, coverage at the bundle's thresholds,
 * throughput (batch 1 and 64), single-message latency, peak RSS, bundle size.
 * Prints one JSON object on the last line of stdout.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openModel } from '../src/app/container/index.js';
import { loadConfig } from '../src/app/config.js';
import { loadExamples } from '../src/app/services/dataset.js';
import { evaluateModel } from '../src/app/services/evaluate.js';
import { trainModel } from '../src/app/container/index.js';
import { summarizeLatencies } from '../src/core/eval/index.js';

const [embedder, outDir, dataDir, modelDir] = process.argv.slice(2);
const cfg = loadConfig({ env: {}, flags: { onnx: { modelDir } } });
const eo = { onnx: { modelDir, threads: 2 } };

const trained = await trainModel({ data: join(dataDir, 'train.jsonl'), out: outDir, embedder, embedderOptions: eo, seed: 42 });
const model = await openModel(outDir, cfg);
const test = (await loadExamples(join(dataDir, 'test.jsonl'), { keepDuplicates: true })).examples;
const report = await evaluateModel(model, test);
const texts = test.map((e) => e.text);

async function throughput(batch: number, minSeconds: number, maxMessages: number): Promise<number> {
  let n = 0;
  const t0 = performance.now();
  while ((performance.now() - t0) / 1000 < minSeconds && n < maxMessages) {
    for (let i = 0; i < texts.length && n < maxMessages; i += batch) {
      const chunk = texts.slice(i, i + batch);
      await model.classify(chunk);
      n += chunk.length;
    }
  }
  return n / ((performance.now() - t0) / 1000);
}

// warm-up (JIT, WebAssembly tiers, index pages) in both call shapes, then measure steady state
const slow = embedder !== 'hashed';
await throughput(64, slow ? 0 : 1.5, slow ? 128 : 1e9);
await throughput(1, slow ? 0 : 1.5, slow ? 32 : 1e9);
const perSecondBatch64 = await throughput(64, 3, slow ? 1500 : 1e9);
const perSecondBatch1 = await throughput(1, 3, slow ? 800 : 1e9);
const lat: number[] = [];
for (const t of texts.slice(0, slow ? 500 : texts.length)) {
  const t0 = performance.now();
  await model.classify([t]);
  lat.push(performance.now() - t0);
}
const bundleBytes = readdirSync(outDir).reduce((s, f) => s + statSync(join(outDir, f)).size, 0);
const m = trained.manifest;
console.log(
  JSON.stringify({
    embedder,
    trainSeconds: trained.seconds,
    bestEpoch: m.training.bestEpoch,
    accuracy: report.accuracy,
    macroF1: report.macroF1,
    riskCoverage: report.riskCoverage,
    thresholds: { ...m.routing.policy, valCoverage: m.routing.coverage, valPrecision: m.routing.precision },
    accepted: report.accepted,
    // the unknown share estimated from the test messages (what serving does over its window)
    adapted: report.adapted ? { unknownShare: report.adapted.unknownShare, accepted: report.adapted.accepted } : null,
    promise: report.promise,
    noveltyAuroc: m.novelty?.auroc ?? null,
    ece: report.ece,
    fusion: m.classifier.fusion,
    temperature: m.classifier.temperature,
    perSecondBatch1,
    perSecondBatch64,
    latency: summarizeLatencies(lat),
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    bundleMb: bundleBytes / 1e6,
    index: m.index.kind,
  }),
);
