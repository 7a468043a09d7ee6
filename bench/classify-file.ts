/**
 * `npx tsx bench/classify-file.ts [--rows N] [--model DIR] [--data DIR] [--json FILE]`
 *
 * classify-file at scale: builds a JSONL of N messages (default 1,000,000: BANKING77 train texts
 * repeated, in a temp dir), trains the hashed model on BANKING77 (or reuses one, --model DIR),
 * runs `intentops classify-file` on it in its own process, and prints messages/s and peak RSS
 * against the reference named beside them: the same model's in-process batched classify
 * (batches of 512, no file I/O) measured in its own process. Peak RSS is also measured on a
 * tenth of the rows: about the same figure means memory does not grow with the file.
 *
 * bench/run.ts can call `benchClassifyFile` (it returns the figures it prints).
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const TSX = pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href;
const BATCH = 512;

export interface ClassifyFileBench {
  readonly rows: number;
  readonly inputMb: number;
  /** classify-file end to end (read, parse, classify, write, checkpoints), in its own process. */
  readonly perSecond: number;
  readonly seconds: number;
  readonly peakRssMb: number;
  /** The same run on rows/10: the peak RSS should barely move. */
  readonly smallRows: number;
  readonly smallPeakRssMb: number;
  /** Reference: in-process batched classify of the same model (batches of 512, no I/O). */
  readonly reference: { readonly name: string; readonly perSecond: number; readonly peakRssMb: number };
  readonly model: string;
}

export interface BenchOptions {
  /** Directory holding BANKING77's train.jsonl. */
  readonly dataDir?: string;
  readonly rows?: number;
  /** A trained bundle to reuse; default: the hashed model trained once into the temp dir. */
  readonly model?: string;
  readonly log?: (line: string) => void;
}

function child(args: string[]): Record<string, any> {
  const r = spawnSync(process.execPath, ['--max-old-space-size=4096', '--import', TSX, fileURLToPath(import.meta.url), ...args], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`bench/classify-file.ts ${args[0]} failed (exit ${r.status}):\n${r.stderr}\n${r.stdout}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

async function trainTexts(dataDir: string): Promise<string[]> {
  const texts: string[] = [];
  for await (const line of createInterface({ input: createReadStream(join(dataDir, 'train.jsonl')) })) if (line.trim()) texts.push((JSON.parse(line) as { text: string }).text);
  return texts;
}

/** Writes `rows` JSON lines cycling through `texts`, streaming (the file may be larger than memory allows). */
async function buildInput(path: string, texts: readonly string[], rows: number): Promise<void> {
  const out = createWriteStream(path);
  for (let i = 0; i < rows; i += 10_000) {
    let chunk = '';
    for (let j = i; j < Math.min(rows, i + 10_000); j++) chunk += `${JSON.stringify({ id: `m${j}`, text: texts[j % texts.length] })}\n`;
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r, e) => out.end((err?: Error | null) => (err ? e(err) : r())));
}

export async function benchClassifyFile(o: BenchOptions = {}): Promise<ClassifyFileBench> {
  const log = o.log ?? (() => undefined);
  const dataDir = resolve(root, o.dataDir ?? '../shared/datasets/banking77');
  if (!existsSync(join(dataDir, 'train.jsonl'))) throw new Error(`${dataDir}/train.jsonl not found: the benchmark needs BANKING77 beside the repo (../shared/datasets/banking77)`);
  const rows = o.rows ?? 1_000_000;
  const work = mkdtempSync(join(tmpdir(), 'intentops-bench-classify-file-'));
  try {
    let model = o.model;
    if (!model) {
      model = join(work, 'model');
      log('training the hashed model on BANKING77 …');
      child(['--train', join(dataDir, 'train.jsonl'), model]);
    }
    const texts = await trainTexts(dataDir);
    const big = join(work, 'big.jsonl');
    const small = join(work, 'small.jsonl');
    log(`writing ${rows.toLocaleString('en')} messages …`);
    await buildInput(big, texts, rows);
    await buildInput(small, texts, Math.ceil(rows / 10));
    log('reference: in-process batched classify …');
    const reference = child(['--reference', model, join(dataDir, 'train.jsonl')]);
    log('classify-file on a tenth of the rows …');
    const s = child(['--run', small, join(work, 'small.out.jsonl'), model]);
    log(`classify-file on ${rows.toLocaleString('en')} rows …`);
    const b = child(['--run', big, join(work, 'big.out.jsonl'), model]);
    if (b.rows !== rows) throw new Error(`classify-file wrote ${b.rows} rows for ${rows} inputs`);
    return {
      rows,
      inputMb: statSync(big).size / 1e6,
      perSecond: rows / b.wallSeconds,
      seconds: b.wallSeconds,
      peakRssMb: b.peakRssMb,
      smallRows: s.rows,
      smallPeakRssMb: s.peakRssMb,
      reference: { name: `in-process IntentModel.classify, batches of ${BATCH}, same model, no file I/O`, perSecond: reference.perSecond, peakRssMb: reference.peakRssMb },
      model,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// --- child modes (each in its own process, so its peak RSS is its own) ---------------------

async function childMain(mode: string, args: string[]): Promise<void> {
  if (mode === '--train') {
    const { trainModel } = await import('../src/app/container/index.js');
    const r = await trainModel({ data: args[0], out: args[1], embedder: 'hashed', seed: 42, name: 'banking77-hashed' });
    console.log(JSON.stringify({ seconds: r.seconds }));
  } else if (mode === '--reference') {
    const { openModel } = await import('../src/app/container/index.js');
    const { loadConfig } = await import('../src/app/config.js');
    const model = await openModel(args[0], loadConfig({ env: {} }));
    const texts = (readFileSync(args[1], 'utf8').trim().split('\n') as string[]).map((l) => (JSON.parse(l) as { text: string }).text);
    const pass = async (seconds: number) => {
      let n = 0;
      const t0 = performance.now();
      while (performance.now() - t0 < seconds * 1000) {
        for (let i = 0; i < texts.length; i += BATCH) {
          const chunk = texts.slice(i, i + BATCH);
          await model.classify(chunk, { neighbours: 0 });
          n += chunk.length;
        }
      }
      return n / ((performance.now() - t0) / 1000);
    };
    await pass(1.5); // warm-up: JIT, index pages
    console.log(JSON.stringify({ perSecond: await pass(4), peakRssMb: process.resourceUsage().maxRSS / 1024 }));
  } else if (mode === '--run') {
    // the real command, in process: what `intentops classify-file IN OUT --model M` does
    const { runCli } = await import('../src/app/cli/main.js');
    let stdout = '';
    const sink = { write: (s: string) => ((stdout += s), true) } as unknown as NodeJS.WritableStream;
    const t0 = performance.now();
    await runCli(['classify-file', args[0], args[1], '--model', args[2], '--batch', String(BATCH), '--json'], { stdout: sink, stderr: process.stderr, stdin: process.stdin, env: process.env });
    const wallSeconds = (performance.now() - t0) / 1000;
    if (process.exitCode) throw new Error(`classify-file failed (exit ${process.exitCode}): ${stdout}`);
    console.log(JSON.stringify({ ...JSON.parse(stdout), wallSeconds, peakRssMb: process.resourceUsage().maxRSS / 1024 }));
  }
}

const mode = process.argv[2];
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (mode?.startsWith('--') && ['--train', '--reference', '--run'].includes(mode)) {
    await childMain(mode, process.argv.slice(3));
  } else {
    const args = process.argv.slice(2);
    const opt = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
    const r = await benchClassifyFile({ rows: opt('--rows') ? Number(opt('--rows')) : undefined, model: opt('--model'), dataDir: opt('--data'), log: (s) => console.error(s) });
    const fmt = (n: number, d = 0) => n.toLocaleString('en', { maximumFractionDigits: d, minimumFractionDigits: d });
    const line = (label: string, value: string, ref = '') => console.log(`  ${label.padEnd(40)} ${value.padStart(12)}   ${ref}`);
    console.log(`classify-file — ${fmt(r.rows)} JSONL messages (${fmt(r.inputMb, 1)} MB, BANKING77 train texts repeated), hashed model, batch ${BATCH}`);
    console.log(`reference: ${r.reference.name} (ratio > 1.00 = better than the reference)\n`);
    line('messages/s, end to end', fmt(r.perSecond), `×${(r.perSecond / r.reference.perSecond).toFixed(2)} vs ${fmt(r.reference.perSecond)}/s in-process batched classify`);
    line('wall seconds', fmt(r.seconds, 1));
    line('peak RSS MB', fmt(r.peakRssMb), `×${(r.reference.peakRssMb / r.peakRssMb).toFixed(2)} vs ${fmt(r.reference.peakRssMb)} MB holding the model and classifying in process`);
    line(`peak RSS MB on ${fmt(r.smallRows)} rows`, fmt(r.smallPeakRssMb), `×${(r.peakRssMb / r.smallPeakRssMb).toFixed(2)} growth for ${fmt(r.rows / r.smallRows)}× the rows (≈1.00 = constant memory)`);
    const json = opt('--json');
    if (json) writeFileSync(json, `${JSON.stringify(r, null, 2)}\n`);
  }
}
