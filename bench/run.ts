/**
 * `npm run bench [-- --json FILE] [--embedders hashed,onnx,hashed+onnx] [--no-cascade] [--no-oracle] [--no-llm] [--llm-runs N] [--no-file] [--no-open]`
 *
 * BANKING77 (../shared/datasets/banking77, train → test) for each embedder available offline,
 * each in its own process, then the hashed → encoder cascade, the LLM variants on the unsure
 * slice of the hashed and hashed+onnx bundles (bench/llm-variants.ts), classify-file on 1M messages and the
 * open-intent protocol (bench/open-intent.ts). Prints every figure with its
 * ratio to the reference it names (bench/references.ts, copied from ../shared/anchors.md).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ANCHORS, TARGETS } from './references.js';
import { benchClassifyFile } from './classify-file.js';
import { benchArgs } from './args.js';
import { benchLlmVariants } from './llm-variants.js';

const { here, root, args, opt, dataDir, modelDir } = benchArgs();
const haveEncoder = existsSync(join(modelDir, 'tokenizer.json'));
const embedders = (opt('--embedders') ?? (haveEncoder ? 'hashed,onnx,hashed+onnx' : 'hashed')).split(',');
const work = mkdtempSync(join(tmpdir(), 'intentops-bench-'));
const tsx = join(root, 'node_modules', '.bin', 'tsx');

function child(script: string, argv: string[]): Record<string, any> {
  const r = spawnSync(tsx, [join(here, script), ...argv], { encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=8192' } });
  if (r.status !== 0) throw new Error(`${script} ${argv[0]} failed (exit ${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

const ratio = (ours: number, ref: number, higherIsBetter = true) => (higherIsBetter ? ours / ref : ref / ours).toFixed(2);
const pct = (x: number) => (100 * x).toFixed(2) + '%';
const line = (label: string, value: string, ref?: string) => console.log(`  ${label.padEnd(40)} ${value.padStart(14)}${ref ? `   ${ref}` : ''}`);

const results: Record<string, any> = { machine: { cores: (await import('node:os')).cpus().length, node: process.version }, embedders: {} };
const B = ANCHORS.bestClassic;
console.log(`IntentOps benchmark — BANKING77 ${dataDir}\nreferences: ${ANCHORS.source} (ratio > 1.00 = better than the reference)\n`);
try {
  for (const e of embedders) {
    const r = child('embedder.ts', [e, join(work, e), dataDir, modelDir]);
    results.embedders[e] = r;
    console.log(`embedder ${e}  (index ${r.index}, fusion α=${r.fusion.alpha}, T=${r.temperature.toFixed(3)}, best epoch ${r.bestEpoch})`);
    line('test accuracy', pct(r.accuracy), `×${ratio(r.accuracy, B.accuracy)} vs best classic ${pct(B.accuracy)}`);
    if (e !== 'hashed') line('', '', `×${ratio(r.accuracy, ANCHORS.useConvert.accuracy)} vs USE+ConveRT ${pct(ANCHORS.useConvert.accuracy)}; ×${ratio(r.accuracy, ANCHORS.miniLmPlusTfidf.accuracy)} vs MiniLM+TF-IDF ${pct(ANCHORS.miniLmPlusTfidf.accuracy)}`);
    line('macro-F1', pct(r.macroF1), `×${ratio(r.macroF1, B.macroF1)} vs ${pct(B.macroF1)}`);
    line('train seconds', r.trainSeconds.toFixed(1), `×${ratio(r.trainSeconds, B.trainSeconds, false)} vs ~${B.trainSeconds} s (target ≤ ${TARGETS.hashed.trainSeconds} s for hashed)`);
    line('messages/s, batch 64', r.perSecondBatch64.toFixed(0), `×${ratio(r.perSecondBatch64, B.batchedPerSecond)} vs ~${B.batchedPerSecond} batched`);
    line('messages/s, batch 1', r.perSecondBatch1.toFixed(0), `×${ratio(r.perSecondBatch1, B.singleCallsPerSecond)} vs ~${B.singleCallsPerSecond} single calls`);
    line('latency p50 / p99 ms', `${r.latency.p50.toFixed(3)} / ${r.latency.p99.toFixed(3)}`, `×${ratio(r.latency.p99, B.p99Ms, false)} (p99) vs ${B.p50Ms} / ${B.p99Ms}`);
    line('peak RSS MB', r.peakRssMb.toFixed(0), `×${ratio(r.peakRssMb, B.peakRssMb, false)} vs ${B.peakRssMb} MB (training)`);
    line('bundle MB', r.bundleMb.toFixed(1));
    for (const p of r.riskCoverage) {
      const ref = B.riskCoverage[String(p.coverage)];
      const tgt = p.coverage === 0.85 ? `×${ratio(p.accuracy, B.target85)} vs target ${pct(B.target85)}` : undefined;
      line(`accuracy at ${pct(p.coverage)} coverage`, pct(p.accuracy), ref ? `×${ratio(p.accuracy, ref)} vs ${pct(ref)}` : tgt);
    }
    line("at the bundle's thresholds: coverage", pct(r.accepted.coverage), `(validation said ${pct(r.thresholds.valCoverage)})`);
    line('  accuracy on accepted', pct(r.accepted.acceptedAccuracy ?? 0), `target ≥ ${pct(r.accepted.targetPrecision)}`);
    if (r.adapted) {
      line('  …with the unknown share from the traffic', pct(r.adapted.accepted.coverage), `estimated share ${pct(r.adapted.unknownShare)}; target coverage ≥ 85 % for hashed: ×${ratio(r.adapted.accepted.coverage, 0.85)}`);
      line('  accuracy on those accepted', pct(r.adapted.accepted.acceptedAccuracy ?? 0), `×${ratio(r.adapted.accepted.acceptedAccuracy ?? 0, r.accepted.targetPrecision)} vs the promise ${pct(r.accepted.targetPrecision)} (bundle's bound ${pct(r.promise.promisedBound ?? 0)})`);
    }
    console.log('');
  }
  if (results.embedders.hashed && !args.includes('--no-oracle')) {
    const acc = Number(opt('--llm-accuracy') ?? 0.9);
    const r = child('oracle.ts', [join(work, 'hashed'), dataDir, String(acc)]);
    results.oracle = r;
    console.log(`hashed + LLM fallback, projected with an oracle LLM of accuracy ${acc} at ${r.llmModel} prices (real adapter, fake server)`);
    for (const s of r.settings) {
      line(`${s.setting}`, pct(s.endToEndAccuracy), `LLM share ${pct(s.llmShare)}, $${s.costPer1000Usd.toFixed(4)} per 1,000 messages, to review ${pct(s.toReview)}`);
    }
    console.log('');
  }
  if (!args.includes('--no-llm')) {
    // three fake-LLM variants on each bundle's unsure slice, through `intentops llm eval`
    results.llmVariants = [];
    for (const e of ['hashed', 'hashed+onnx'].filter((x) => results.embedders[x])) {
      results.llmVariants.push(await benchLlmVariants({ root, embedder: e, bundle: join(work, e), dataDir, runs: Number(opt('--llm-runs') ?? 3), work }));
    }
  }
  const encoder = embedders.find((e) => e !== 'hashed' && results.embedders[e]);
  const best = encoder ? embedders.filter((e) => results.embedders[e]).sort((a, b) => results.embedders[b].accuracy - results.embedders[a].accuracy)[0] : undefined;
  if (!args.includes('--no-cascade') && results.embedders.hashed && best && best !== 'hashed') {
    const r = child('cascade.ts', [`${join(work, 'hashed')},${join(work, best)}`, dataDir, modelDir]);
    results.cascade = r;
    const single = results.embedders[best];
    console.log(`cascade hashed → ${best} → review`);
    line('share answered by tier (hashed / encoder)', r.tierShares.map(pct).join(' / '));
    line('accuracy (all messages)', pct(r.accuracy), `×${ratio(r.accuracy, single.accuracy)} vs ${best} alone ${pct(single.accuracy)}`);
    line('coverage / accuracy on accepted', `${pct(r.accepted.coverage)} / ${pct(r.accepted.acceptedAccuracy ?? 0)}`);
    line('messages/s (batch 64, whole cascade)', r.perSecond.toFixed(0), `×${ratio(r.perSecond, single.perSecondBatch64)} vs ${best} alone; ×${ratio(r.perSecond, results.embedders.hashed.perSecondBatch64)} of hashed`);
    console.log('');
  }
  if (!args.includes('--no-file') && results.embedders.hashed) {
    const r = await benchClassifyFile({ dataDir, model: join(work, 'hashed'), rows: Number(opt('--file-rows') ?? 1_000_000) });
    results.classifyFile = r;
    console.log(`classify-file: ${r.rows.toLocaleString('en-US')} messages (${r.inputMb.toFixed(0)} MB JSONL) → JSONL, hashed model, streaming with checkpoints`);
    line('messages/s, end to end', r.perSecond.toFixed(0), `×${ratio(r.perSecond, r.reference.perSecond)} of ${r.reference.name} (${r.reference.perSecond.toFixed(0)}/s)`);
    line('peak RSS MB', r.peakRssMb.toFixed(0), `×${ratio(r.peakRssMb, r.smallPeakRssMb, false)} vs ${r.smallPeakRssMb.toFixed(0)} MB on ${r.smallRows.toLocaleString('en-US')} rows (constant memory)`);
    console.log('');
  }
  if (!args.includes('--no-open')) {
    // the open-intent protocol (ADB) at 25/50/75 % known intents, 3 seeds, for hashed and hashed+onnx
    const open = embedders.filter((e) => e === 'hashed' || e === 'hashed+onnx');
    const file = join(work, 'open.json');
    const r = spawnSync(tsx, [join(here, 'open-intent.ts'), '--embedders', open.join(','), '--data', dataDir, '--model-dir', modelDir, '--json', file], { stdio: ['ignore', 'inherit', 'ignore'], env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=8192' } });
    if (r.status !== 0) throw new Error(`open-intent.ts failed (exit ${r.status})`);
    results.openIntent = JSON.parse(readFileSync(file, 'utf8'));
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
const jsonOut = opt('--json');
if (jsonOut) {
  writeFileSync(jsonOut, JSON.stringify(results, null, 2) + '\n');
  console.log(`wrote ${jsonOut}`);
}
