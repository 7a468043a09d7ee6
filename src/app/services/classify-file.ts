import { createHash } from 'node:crypto';
import { existsSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { IntentOpsError } from '../../core/errors.js';
import { checkSameRun, readCheckpoint, removeCheckpoint, writeCheckpoint, type Checkpoint } from './classify-file-checkpoint.js';
import { inputIdentity, readCsvHeader, readInput, streamFormat, type InputPosition, type InputRecord, type StreamFormat } from './classify-file-input.js';

/** What classify-file needs from a model: answers for a batch of texts, in order. */
export interface FilePrediction {
  readonly intent: string;
  /** null when an LLM chose the intent (--pipeline, route llm). */
  readonly confidence: number | null;
  readonly route: string;
  readonly reason: string;
  /** None of the model's intents (novelty detector, an out-of-scope label, or the LLM said none); absent = false. */
  readonly outOfScope?: boolean;
  /** --pipeline: the LLM call that answered, whose variant (`NAME@VERSION` or the prompt file's name) goes in the row as `llmVariant`. */
  readonly llm?: { readonly variant: string };
}
export type BatchClassify = (items: readonly { readonly id: string; readonly text: string }[]) => Promise<readonly FilePrediction[]>;

export interface ClassifyFileRequest {
  readonly input: string;
  readonly output: string;
  /** csv | jsonl; default from the extension (.csv .tsv .jsonl .ndjson). */
  readonly format?: string;
  readonly outFormat?: string;
  readonly delimiter?: string;
  readonly textCol?: string;
  /** Id column; default `id`, and the line number when the input has no such column. */
  readonly idCol?: string;
  readonly includeText?: boolean;
  readonly maxTextLength?: number;
  /** Messages per model call. Default 512. */
  readonly batchSize?: number;
  /** A checkpoint after at least this many rows, or `checkpointMs`, whichever comes first. */
  readonly checkpointRows?: number;
  readonly checkpointMs?: number;
  /** Ignore (and remove) a checkpoint: start over, rewriting OUT. */
  readonly restart?: boolean;
  /** Identifies the model: a checkpoint from another model is not resumed. */
  readonly model: string;
  readonly classify: BatchClassify;
  readonly onProgress?: (p: ClassifyFileProgress) => void;
  readonly clock?: () => number;
}

export interface ClassifyFileProgress {
  /** Rows written (classified + errors), this run and the runs it resumes. */
  readonly rows: number;
  readonly errors: number;
  /** Input bytes consumed, of `totalBytes`. */
  readonly bytes: number;
  readonly totalBytes: number;
  /** Rows written by this run, and its elapsed time. */
  readonly rowsThisRun: number;
  readonly elapsedMs: number;
}

export interface ClassifyFileResult {
  readonly output: string;
  readonly rows: number;
  readonly classified: number;
  readonly errors: number;
  /** The input line this run resumed after (absent for a fresh run). */
  readonly resumedAfterLine?: number;
  readonly seconds: number;
}

/** CSV output columns (JSONL rows carry the same keys, llmVariant only where the LLM answered); llmVariant is empty when it did not. */
const CSV_COLUMNS = ['id', 'line', 'text', 'intent', 'confidence', 'route', 'reason', 'outOfScope', 'llmVariant', 'error'];

/**
 * Classifies every record of a CSV or JSON Lines file into a CSV or JSON Lines file, streaming
 * (constant memory), in batches, resumable after a crash (see classify-file-checkpoint.ts).
 * Unusable rows (empty text, bad JSON, wrong field count…) are written in place as
 * `route: error` rows naming file:line, so the output has exactly one row per input record.
 *
 * @example
 *   const model = await openClassifier('models/sample', config);
 *   await classifyFile({ input: 'tickets.csv', output: 'tickets.out.jsonl', model: 'sample',
 *     classify: async (items) => model.classify(items.map((i) => i.text), { neighbours: 0 }) });
 */
export async function classifyFile(req: ClassifyFileRequest): Promise<ClassifyFileResult> {
  const clock = req.clock ?? Date.now;
  const t0 = clock();
  const inFmt = streamFormat(req.input, req.format, 'input');
  const outFmt = streamFormat(req.output, req.outFormat, 'output').format;
  if (resolve(req.input) === resolve(req.output)) throw new IntentOpsError('invalid_input', 'IN and OUT are the same file', { where: req.output, hint: 'write the results to another file' });
  const ident = await inputIdentity(req.input);
  if (!existsSync(dirname(resolve(req.output)))) throw new IntentOpsError('not_found', `the directory of ${req.output} does not exist`, { where: req.output, hint: `create it first (mkdir -p ${dirname(req.output)})` });
  const o = { textCol: req.textCol ?? 'text', idCol: req.idCol ?? 'id', maxTextLength: req.maxTextLength ?? 5000, includeText: req.includeText ?? false };
  const header = inFmt.format === 'csv' ? await readCsvHeader(req.input, ident.head, req.delimiter ?? inFmt.delimiter) : undefined;
  const run: Checkpoint['run'] = {
    input: resolve(req.input),
    inputBytes: ident.size,
    inputHead: createHash('sha256').update(ident.head).digest('hex'),
    format: inFmt.format,
    outFormat: outFmt,
    ...(header ? { delimiter: header.delimiter } : {}),
    ...o,
    model: req.model,
  };

  if (req.restart) removeCheckpoint(req.output);
  const cp = readCheckpoint(req.output);
  if (cp) {
    checkSameRun(req.output, cp, run);
    const size = existsSync(req.output) ? statSync(req.output).size : -1;
    if (size < cp.outputBytes) {
      throw new IntentOpsError('corrupt', `${req.output} is ${size < 0 ? 'missing' : `${size} bytes`}, but its checkpoint says ${cp.outputBytes} bytes were written`, { where: req.output, hint: 'the output was moved or cut: pass --restart to start over' });
    }
    truncateSync(req.output, cp.outputBytes);
  } else {
    writeFileSync(req.output, outFmt === 'csv' ? stringify([columns(o.includeText)]) : '');
  }
  const from: InputPosition = cp ? cp.input : header ? { offset: header.end, line: header.line } : { offset: 0, line: 0 };
  const state = { rows: cp?.rows ?? 0, errors: cp?.errors ?? 0, outputBytes: cp?.outputBytes ?? statSync(req.output).size, at: from, rowsThisRun: 0 };
  let lastCheckpoint = { rows: state.rows, at: clock() };
  const batchSize = Math.max(1, req.batchSize ?? 512);
  const fh = await open(req.output, 'a');
  try {
    const flush = async (batch: InputRecord[]) => {
      if (!batch.length) return;
      const todo = batch.filter((r) => !r.error);
      const preds = todo.length ? await req.classify(todo.map((r) => ({ id: r.id!, text: r.text! }))) : [];
      if (preds.length !== todo.length) throw new IntentOpsError('internal', `the classifier answered ${preds.length} of ${todo.length} messages`);
      let k = 0;
      const rows = batch.map((r) => (r.error ? errorRow(req.input, r, o.includeText) : answerRow(r, preds[k++], o.includeText)));
      const bytes = Buffer.from(outFmt === 'csv' ? stringify(rows.map((row) => columns(o.includeText).map((c) => row[c] ?? ''))) : rows.map((row) => `${JSON.stringify(row)}\n`).join(''), 'utf8');
      await fh.write(bytes);
      const last = batch[batch.length - 1];
      Object.assign(state, {
        rows: state.rows + batch.length,
        errors: state.errors + (batch.length - todo.length),
        outputBytes: state.outputBytes + bytes.length,
        at: { offset: last.end, line: last.lastLine },
        rowsThisRun: state.rowsThisRun + batch.length,
      });
      if (state.rows - lastCheckpoint.rows >= (req.checkpointRows ?? 10_000) || clock() - lastCheckpoint.at >= (req.checkpointMs ?? 5000)) {
        await checkpoint();
        lastCheckpoint = { rows: state.rows, at: clock() };
      }
      req.onProgress?.({ rows: state.rows, errors: state.errors, bytes: state.at.offset, totalBytes: ident.size, rowsThisRun: state.rowsThisRun, elapsedMs: clock() - t0 });
    };
    // the output must be on disk up to outputBytes before a checkpoint may claim it
    const checkpoint = async () => {
      await fh.sync();
      writeCheckpoint(req.output, { version: 1, run, input: state.at, outputBytes: state.outputBytes, rows: state.rows, errors: state.errors, updatedAt: new Date().toISOString() });
    };
    let batch: InputRecord[] = [];
    const csv = header ? { columns: header.columns, delimiter: header.delimiter, headerLine: header.line } : undefined;
    for await (const rec of readInput(req.input, from, { format: inFmt.format, ...o, idColExplicit: req.idCol !== undefined }, csv)) {
      batch.push(rec);
      if (batch.length >= batchSize) {
        await flush(batch);
        batch = [];
      }
    }
    await flush(batch);
    await fh.sync();
  } finally {
    await fh.close();
  }
  removeCheckpoint(req.output);
  return { output: req.output, rows: state.rows, classified: state.rows - state.errors, errors: state.errors, ...(cp ? { resumedAfterLine: cp.input.line } : {}), seconds: (clock() - t0) / 1000 };
}

type Row = Record<string, string | number | boolean | null>;

function columns(includeText: boolean): string[] {
  return includeText ? CSV_COLUMNS : CSV_COLUMNS.filter((c) => c !== 'text');
}

function answerRow(r: InputRecord, p: FilePrediction, includeText: boolean): Row {
  return { id: r.id!, line: r.line, ...(includeText ? { text: r.text! } : {}), intent: p.intent, confidence: p.confidence, route: p.route, reason: p.reason, outOfScope: p.outOfScope === true, ...(p.llm ? { llmVariant: p.llm.variant } : {}) };
}

function errorRow(file: string, r: InputRecord, includeText: boolean): Row {
  return { id: r.id ?? String(r.line), line: r.line, ...(includeText ? { text: r.text ?? null } : {}), intent: null, confidence: null, route: 'error', reason: r.error!.code, outOfScope: null, error: `${file}:${r.line}: ${r.error!.message}` };
}

export type { StreamFormat };
