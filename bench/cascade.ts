/** Benchmarks a cascade of already-trained bundles (cheapest first). Prints one JSON line. */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/app/config.js';
import { openClassifier } from '../src/app/container/index.js';
import { loadExamples } from '../src/app/services/dataset.js';
import { evaluateModel } from '../src/app/services/evaluate.js';

const [dirs, dataDir, modelDir] = process.argv.slice(2);
const cfg = loadConfig({ env: {}, flags: { onnx: { modelDir } } });
const cascade = await openClassifier(dirs, cfg);
const test = (await loadExamples(join(dataDir, 'test.jsonl'), { keepDuplicates: true })).examples;
await cascade.classify(test.slice(0, 100).map((e) => e.text));
const t0 = performance.now();
const report = await evaluateModel(cascade, test);
const seconds = (performance.now() - t0) / 1000;
console.log(
  JSON.stringify({
    tiers: dirs.split(','),
    tierShares: report.tierShares,
    accuracy: report.accuracy,
    macroF1: report.macroF1,
    accepted: report.accepted,
    routes: report.routes,
    perSecond: test.length / seconds,
  }),
);
