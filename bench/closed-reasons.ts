/**
 * `npx tsx bench/closed-reasons.ts BUNDLE [--train EMBEDDER] [--data DIR] [--model-dir DIR]`
 *
 * Where the closed-set coverage goes: classifies BANKING77's test set with a bundle (trained on
 * its train set at seed 42 first with --train), the unknown share estimated from the test
 * messages' own novelty scores as `npm run bench` does, and prints how many messages each reason
 * kept from being accepted (and how many of those the model had right), the coverage and accuracy
 * on accepted messages with each reason relaxed, and the confidence cut the test set itself would
 * need for 85 % coverage (the accuracy-coverage curve's point, in hindsight).
 */
import { join, resolve } from 'node:path';
import { openModel, trainModel } from '../src/app/container/index.js';
import { loadConfig } from '../src/app/config.js';
import { loadExamples } from '../src/app/services/dataset.js';
import type { Reason } from '../src/core/routing/policy.js';
import { benchArgs } from './args.js';

const { args, opt, dataDir, modelDir } = benchArgs();
const dir = args[0] && !args[0].startsWith('--') ? resolve(args[0]) : undefined;
if (!dir) {
  console.error('usage: npx tsx bench/closed-reasons.ts BUNDLE [--train EMBEDDER] [--data DIR] [--model-dir DIR]');
  process.exit(2);
}
const cfg = loadConfig({ env: {}, flags: { onnx: { modelDir } } });
const embedder = opt('--train');
if (embedder) await trainModel({ data: join(dataDir, 'train.jsonl'), out: dir, embedder, embedderOptions: { onnx: { modelDir, threads: 2 } }, seed: 42 });
const model = await openModel(dir, cfg);
const test = (await loadExamples(join(dataDir, 'test.jsonl'), { keepDuplicates: true })).examples;
const texts = test.map((e) => e.text);
const first = await model.classify(texts, { neighbours: 0, alternatives: 1 });
const share = model.estimateUnknownShare(first.map((p) => p.novelty ?? 0));
if (share !== null) model.setUnknownShare(share);
const preds = await model.classify(texts, { neighbours: 0, alternatives: 1 });
const right = preds.map((p, i) => p.intent === test[i].label);
const n = preds.length;
const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
const stats = (accept: (i: number) => boolean) => {
  let k = 0;
  let ok = 0;
  for (let i = 0; i < n; i++) if (accept(i)) (k++, (ok += right[i] ? 1 : 0));
  return `${pct(k / n)} at ${k ? pct(ok / k) : '–'}`;
};
const policy = model.manifest.routing;
console.log(`${dir}: ${n} test messages; unknown share from the traffic ${share === null ? 'n/a (no detector)' : share.toExponential(2)}; policy ${JSON.stringify(policy.policy)}; promise ${policy.precisionBound === undefined ? '–' : pct(policy.precisionBound)} on ${pct(policy.coverage)} of the cross-fitted predictions`);
console.log(`accepted: ${stats((i) => preds[i].route === 'accepted')}`);
const reasons: readonly Reason[] = ['low_confidence', 'low_margin', 'knn_disagrees', 'unfamiliar', 'out_of_scope'];
for (const r of reasons) {
  const lost = preds.flatMap((p, i) => (p.reason === r ? [i] : []));
  const ok = lost.filter((i) => right[i]).length;
  console.log(`  ${r.padEnd(15)} ${String(lost.length).padStart(5)} messages (${ok} right); relaxed: ${stats((i) => preds[i].route === 'accepted' || preds[i].reason === r)}`);
}
const byConfidence = preds.map((p, i) => [p.confidence, right[i] ? 1 : 0] as const).sort((a, b) => b[0] - a[0]);
const k85 = Math.ceil(0.85 * n);
const ok85 = byConfidence.slice(0, k85).reduce((a, [, r]) => a + r, 0);
console.log(`the test set's own confidence cut for 85 % coverage: ${byConfidence[k85 - 1][0].toFixed(4)} (accuracy ${pct(ok85 / k85)}); the bundle's: ${policy.policy.minConfidence.toFixed(4)}`);
