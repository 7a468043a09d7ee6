import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { openClassifier, openClassifyStack, resolveModelRef } from '../container/index.js';
import { classifyFile, type BatchClassify, type ClassifyFileProgress } from '../services/classify-file.js';
import { modelIdentity } from '../classify/service.js';
import { createLogger } from '../telemetry/index.js';
import { action, configFor, positiveIntOption, out, type CliIO } from './context.js';

type Options = {
  model: string;
  modelDir?: string;
  format?: string;
  outFormat?: string;
  textCol?: string;
  idCol?: string;
  delimiter?: string;
  includeText?: boolean;
  batch?: number;
  checkpointEvery?: number;
  restart?: boolean;
  pipeline?: boolean;
  json?: boolean;
};


/**
 * `intentops classify-file IN OUT`: thin flag parsing around the classifyFile service. The
 * model alone answers by default (no side effects: a large file never floods the review queue
 * or the LLM); `--pipeline` runs the serving pipeline as configured (LLM fallback, review queue).
 */
export function registerClassifyFile(program: Command, io: CliIO): void {
  program
    .command('classify-file')
    .description('classify every record of a CSV or JSONL file into a CSV or JSONL file (id, line, intent, confidence, route, reason, error); streaming, batched, resumable after a crash')
    .argument('<in>', 'input file: .csv/.tsv (header line) or .jsonl/.ndjson (one object per line)')
    .argument('<out>', 'output file: .csv or .jsonl; OUT.checkpoint beside it records progress until the run completes')
    .requiredOption('--model <dir>', 'model bundle directory, DIR1,DIR2 for a cascade, or models:/NAME@ALIAS')
    .option('--format <f>', 'input format when the extension does not tell: csv | jsonl')
    .option('--out-format <f>', 'output format when the extension does not tell: csv | jsonl')
    .option('--text-col <name>', 'column/field with the message (default data.textCol: text)')
    .option('--id-col <name>', 'column/field with the message id (default id; the line number when there is none)')
    .option('--delimiter <d>', 'CSV delimiter (default: sniffed from the header)')
    .option('--include-text', 'copy the message text into the output')
    .option('--batch <n>', 'messages per model call (default 512)', positiveIntOption('--batch'))
    .option('--checkpoint-every <rows>', 'checkpoint after this many rows (default 10000; also every 5 s)', positiveIntOption('--checkpoint-every'))
    .option('--restart', 'ignore a checkpoint left by an interrupted run and start over')
    .option('--pipeline', 'classify as the HTTP API does: LLM fallback and review queue as configured (side effects)')
    .option('--json', 'print the summary as JSON')
    .option('--model-dir <dir>', 'ONNX sentence-encoder directory, if the bundle uses onnx and it moved')
    .action(
      action(io, async (input: string, output: string, o: Options, cmd: Command) => {
        const c = configFor(cmd, io, { onnx: { modelDir: o.modelDir }, data: { textCol: o.textCol, delimiter: o.delimiter } });
        let classify: BatchClassify;
        let model: string;
        let close = async () => undefined as void;
        if (o.pipeline) {
          const stack = await openClassifyStack(c, { modelDir: o.model, log: createLogger({ level: 'warn', destination: io.stderr as never }) });
          classify = async (items) => stack.classify.classifyBatch(items.map((i) => ({ id: i.id, text: i.text })));
          const id = modelIdentity(stack.model());
          model = `pipeline:${id.name}@${id.version}`;
          close = () => stack.close();
        } else {
          const m = await openClassifier(await resolveModelRef(o.model, c), c);
          classify = async (items) => m.classify(items.map((i) => i.text), { neighbours: 0 });
          const d = m.describe();
          model = `${d.name}@${d.createdAt}/${d.dataHash.slice(0, 16)}`;
        }
        const progress = reporter(io, input);
        try {
          const r = await classifyFile({
            input,
            output,
            format: o.format,
            outFormat: o.outFormat,
            delimiter: c.data.delimiter,
            textCol: c.data.textCol,
            idCol: o.idCol,
            includeText: o.includeText,
            maxTextLength: c.data.maxTextLength,
            batchSize: o.batch,
            checkpointRows: o.checkpointEvery,
            restart: o.restart,
            model,
            classify,
            onProgress: progress.update,
          });
          progress.stop();
          if (o.json) out(io, JSON.stringify(r));
          else out(io, `${r.resumedAfterLine !== undefined ? `resumed after line ${r.resumedAfterLine}; ` : ''}${r.rows} rows → ${r.output}: ${r.classified} classified, ${r.errors ? `${r.errors} errors (route "error", reason and file:line in the row)` : 'no errors'} in ${r.seconds.toFixed(1)} s`);
        } finally {
          progress.stop();
          await close();
        }
      }),
    );
}

/** A progress bar on a terminal; otherwise a plain line on stderr every 10 seconds. */
function reporter(io: CliIO, input: string): { update(p: ClassifyFileProgress): void; stop(): void } {
  const stream = io.stderr as NodeJS.WriteStream;
  const rate = (p: ClassifyFileProgress) => Math.round(p.rowsThisRun / Math.max(0.001, p.elapsedMs / 1000));
  if (stream.isTTY) {
    let bar: cliProgress.SingleBar | undefined;
    return {
      update(p) {
        if (!bar) {
          bar = new cliProgress.SingleBar({ stream, format: 'classify-file [{bar}] {percentage}% | {rows} rows | {rate} rows/s | {errors} errors | eta {eta_formatted}', hideCursor: true }, cliProgress.Presets.shades_classic);
          bar.start(p.totalBytes, 0, { rows: 0, rate: 0, errors: 0 });
        }
        bar.update(p.bytes, { rows: p.rows, rate: rate(p), errors: p.errors });
      },
      stop() {
        bar?.stop();
        bar = undefined;
      },
    };
  }
  let last = 0;
  return {
    update(p) {
      if (p.elapsedMs - last < 10_000) return;
      last = p.elapsedMs;
      const pct = p.totalBytes ? ((100 * p.bytes) / p.totalBytes).toFixed(1) : '100.0';
      stream.write(`classify-file: ${input}: ${p.rows} rows (${pct}%), ${rate(p)} rows/s, ${p.errors} errors\n`);
    },
    stop() {},
  };
}
