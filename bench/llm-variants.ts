/**
 * `npm run bench:llm [-- --embedders hashed,hashed+onnx] [--bundles hashed=DIR,...] [--runs 3] [--json FILE]`
 *
 * The LLM section of the benchmark (issue #17): the local model's unsure slice of BANKING77 test
 * (the messages it does not accept at its bundle's thresholds — what the LLM would see) sent to
 * three variants of the fake LLM server (different accuracy, latency and price) through the real
 * chat adapter by `intentops llm eval --json` (the CLI, in a child process), for the `hashed` and
 * `hashed+onnx` bundles. Prints the matrix a user sees, then per variant the end-to-end accuracy
 * and the cost per 1,000 messages, each with its ratio to a named reference: the champion variant
 * (the first), and the routing without an LLM (the slice goes to review, counted as not answered).
 * `--runs N` repeats the LLM part with another oracle seed per run and reports mean and range.
 *
 * Without --bundles the bundles are trained here (seed 42, as `npm run bench` does), in a
 * temporary folder, or in `--keep DIR` (reused by the next run when already there).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/app/config.js';
import { openModel, trainModel } from '../src/app/container/index.js';
import { startFakeLlm, type FakeModel } from '../src/app/dev/fake-llm-server.js';
import { formatLlmEval } from '../src/app/report/llm-eval.js';
import { loadExamples } from '../src/app/services/dataset.js';
import type { LlmEvalResult } from '../src/app/services/llm-eval.js';
import { benchArgs } from './args.js';

/** The three variants: one file each, the first is the champion the others are compared with. */
export const VARIANTS = [
  { name: 'mini', model: 'fake-mini', accuracy: 0.9, latencyMs: 40, price: { inputPer1M: 0.15, outputPer1M: 0.6 }, note: 'gpt-4o-mini-like: the champion' },
  { name: 'nano', model: 'fake-nano', accuracy: 0.78, latencyMs: 15, price: { inputPer1M: 0.05, outputPer1M: 0.2 }, note: 'cheaper, faster, less accurate' },
  { name: 'large', model: 'fake-large', accuracy: 0.95, latencyMs: 120, price: { inputPer1M: 2.5, outputPer1M: 10 }, note: 'gpt-4o-like: accurate, slow, dear' },
] as const;

export interface LlmBenchBundle {
  readonly embedder: string;
  readonly rows: number;
  readonly sliceSize: number;
  /** End-to-end accuracy without an LLM: accepted answers right over all messages (the slice goes to review). */
  readonly noLlmAccuracy: number;
  readonly runs: LlmEvalResult[];
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const range = (xs: number[], f: (x: number) => string) => (xs.length > 1 ? ` [${f(Math.min(...xs))}–${f(Math.max(...xs))}]` : '');
const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const usd = (x: number) => `$${x.toFixed(4)}`;
const line = (label: string, value: string, ref?: string) => console.log(`  ${label.padEnd(34)} ${value.padStart(24)}${ref ? `   ${ref}` : ''}`);

/** A child process's exit code and output, without blocking the event loop. */
function runChild(cmd: string, argv: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, argv, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout.on('data', (b: Buffer) => out.push(b));
    p.stderr.on('data', (b: Buffer) => err.push(b));
    p.on('error', reject);
    p.on('close', (status) => resolve({ status, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

/** Runs `intentops llm eval` on one bundle, `runs` times (oracle seed = run), and prints the figures. */
export async function benchLlmVariants(o: { root: string; embedder: string; bundle: string; dataDir: string; runs: number; work: string }): Promise<LlmBenchBundle> {
  const testFile = join(o.dataDir, 'test.jsonl');
  const test = (await loadExamples(testFile, { keepDuplicates: true })).examples;
  const model = await openModel(o.bundle, loadConfig({ env: {}, flags: { onnx: { modelDir: join(o.root, '../shared/models/all-MiniLM-L6-v2-q4') } } }));
  let acceptedRight = 0;
  for (let i = 0; i < test.length; i += 256) {
    const batch = test.slice(i, i + 256);
    const preds = await model.classify(batch.map((e) => e.text), { llmAvailable: true });
    preds.forEach((p, j) => (acceptedRight += p.route === 'accepted' && p.intent === batch[j].label ? 1 : 0));
  }
  await model.close();
  const labels = new Map(test.map((e) => [e.text, e.label]));
  const runs: LlmEvalResult[] = [];
  for (let run = 0; run < o.runs; run++) {
    const models: Record<string, FakeModel> = Object.fromEntries(VARIANTS.map((v) => [v.model, { latencyMs: v.latencyMs, oracle: { labels, accuracy: v.accuracy, seed: `${v.name}-${run}` } }]));
    const fake = await startFakeLlm({ models });
    try {
      const files = VARIANTS.map((v) => {
        const file = join(o.work, `${v.name}.yaml`);
        writeFileSync(file, `name: ${v.name}\ndescription: ${JSON.stringify(v.note)}\nprovider: openai-compatible\nmodel: ${v.model}\nbaseUrl: ${fake.baseUrl}\nprice: { inputPer1M: ${v.price.inputPer1M}, outputPer1M: ${v.price.outputPer1M} }\npromptFile: ${join(o.root, 'prompts/classify-v1.md')}\n`);
        return file;
      });
      const argv = ['src/app/cli/main.ts', 'llm', 'eval', '--variants', files.join(','), '--data', testFile, '--model', o.bundle, '--concurrency', '8', '--no-cache', '--no-track', '--json'];
      // async: the fake LLM server answers from this process's event loop while the CLI runs
      const r = await runChild(join(o.root, 'node_modules/.bin/tsx'), argv, o.root, { ...process.env, INTENTOPS_CLI_MAIN: '1', INTENTOPS_ONNX_MODEL_DIR: join(o.root, '../shared/models/all-MiniLM-L6-v2-q4') });
      if (r.status !== 0) throw new Error(`intentops llm eval failed (exit ${r.status}):\n${r.stderr}\n${r.stdout.slice(-2000)}`);
      runs.push(JSON.parse(r.stdout) as LlmEvalResult);
    } finally {
      await fake.close();
    }
  }
  const res: LlmBenchBundle = { embedder: o.embedder, rows: test.length, sliceSize: runs[0].sliceSize, noLlmAccuracy: acceptedRight / test.length, runs };
  print(res);
  return res;
}

function print(b: LlmBenchBundle): void {
  console.log(`LLM variants on the ${b.embedder} bundle's unsure slice: ${b.sliceSize} of ${b.rows} BANKING77 test messages (${pct(b.sliceSize / b.rows)}) go to the LLM`);
  console.log(`fake LLM server, real chat adapter, \`intentops llm eval\`; ${b.runs.length} run(s), oracle seed per run; the matrix of run 1:\n`);
  console.log(
    formatLlmEval({ result: b.runs[0] })
      .split('\n')
      .map((l) => `    ${l}`)
      .join('\n'),
  );
  console.log('');
  const champion = (r: LlmEvalResult) => r.variants[0].metrics;
  line('no LLM (slice → review)', pct(b.noLlmAccuracy), 'end-to-end accuracy: the reference routing');
  for (const [i, v] of VARIANTS.entries()) {
    const e2e = b.runs.map((r) => r.variants[i].metrics.endToEndAccuracy ?? 0);
    const cost = b.runs.map((r) => r.variants[i].metrics.costPer1k ?? 0);
    const slice = b.runs.map((r) => r.variants[i].metrics.sliceAccuracy ?? 0);
    const p50 = b.runs.map((r) => r.variants[i].metrics.latencyP50Ms ?? 0);
    const vsChampion = mean(b.runs.map((r) => (r.variants[i].metrics.endToEndAccuracy ?? 0) / (champion(r).endToEndAccuracy ?? 1)));
    const costVsChampion = mean(b.runs.map((r) => (r.variants[i].metrics.costPer1k ?? 0) / (champion(r).costPer1k ?? 1)));
    console.log(`  ${v.name} (${v.model}: oracle accuracy ${v.accuracy}, ${v.latencyMs} ms, $${v.price.inputPer1M}/$${v.price.outputPer1M} per 1M tokens)${i === 0 ? ' — champion' : ''}`);
    line('  accuracy on the slice', `${pct(mean(slice))}${range(slice, pct)}`);
    line('  end-to-end accuracy', `${pct(mean(e2e))}${range(e2e, pct)}`, `×${(mean(e2e) / b.noLlmAccuracy).toFixed(2)} vs no LLM${i ? `; ×${vsChampion.toFixed(3)} vs ${VARIANTS[0].name}` : ''}`);
    line('  cost per 1,000 messages', `${usd(mean(cost))}${range(cost, usd)}`, i ? `×${costVsChampion.toFixed(2)} of ${VARIANTS[0].name}'s` : 'the reference cost');
    line('  LLM latency p50', `${mean(p50).toFixed(0)} ms${range(p50, (x) => x.toFixed(0))}`);
  }
  console.log('');
}

// run alone: `npm run bench:llm`
if (process.argv[1]?.endsWith('llm-variants.ts')) {
  const { root, opt, dataDir, modelDir } = benchArgs();
  const runs = Number(opt('--runs') ?? 3);
  const work = mkdtempSync(join(tmpdir(), 'intentops-bench-llm-'));
  const given = Object.fromEntries((opt('--bundles') ?? '').split(',').filter(Boolean).map((kv) => kv.split('=') as [string, string]));
  const embedders = (opt('--embedders') ?? (Object.keys(given).length ? Object.keys(given).join(',') : existsSync(join(modelDir, 'tokenizer.json')) ? 'hashed,hashed+onnx' : 'hashed')).split(',');
  const results: LlmBenchBundle[] = [];
  try {
    console.log(`IntentOps LLM-variants benchmark — BANKING77 ${dataDir} — ${new Date().toISOString().slice(0, 10)}\n`);
    for (const e of embedders) {
      let bundle = given[e];
      if (!bundle) {
        bundle = join(opt('--keep') ?? work, e);
        if (!existsSync(join(bundle, 'manifest.json'))) await trainModel({ data: join(dataDir, 'train.jsonl'), out: bundle, embedder: e, embedderOptions: { onnx: { modelDir, threads: 2 } }, seed: 42 });
      }
      results.push(await benchLlmVariants({ root, embedder: e, bundle, dataDir, runs, work }));
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const jsonOut = opt('--json');
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify(results, null, 2) + '\n');
}
