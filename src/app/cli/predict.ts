import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { openClassifier } from '../container/index.js';
import { IntentOpsError } from '../../core/errors.js';
import { requestSchemas } from '../http/schemas.js';
import type { Classifier } from '../classify/model.js';
import { EXIT } from '../errors.js';
import { action, configFor, out, type CliIO } from './context.js';

const BATCH = 256;
const NAMED = 10;

/** Where a message came from: the n-th argument, or the n-th line of stdin (both 1-based). */
type Origin = { readonly arg: number } | { readonly line: number };
type Input = Origin & ({ readonly text: string } | { readonly error: RowError });
interface RowError {
  readonly code: 'empty_text' | 'text_too_long' | 'invalid_text' | 'invalid_utf8';
  readonly message: string;
}

export function registerPredict(program: Command, io: CliIO): void {
  program
    .command('predict')
    .description('classify each TEXT argument (quote each message), or one message per line of stdin; prints one JSON line per argument or stdin line')
    .argument('[text...]', 'messages to classify, one per argument (omit to read stdin)')
    .requiredOption('--model <dir>', 'model bundle directory, or DIR1,DIR2 for a cascade (cheapest first)')
    .option('--model-dir <dir>', 'ONNX sentence-encoder directory, if the bundle uses onnx and it moved')
    .option('--neighbours <n>', "nearest labelled examples to include (default 'auto': 3 for messages that are not accepted)", (v) => (v === 'auto' ? 'auto' : Number(v)), 'auto')
    .action(
      action(io, async (words: string[], o: Record<string, string | number | undefined>, cmd: Command) => {
        const c = configFor(cmd, io, { onnx: { modelDir: o.modelDir } });
        if (!words.length && io.stdin.isTTY) {
          throw new IntentOpsError('invalid_input', 'no text given', { hint: 'pass the message as an argument, or pipe one message per line into stdin' });
        }
        const check = textChecker(c.server.maxTextLength);
        const model = await openClassifier(String(o.model), c);
        const neighbours = o.neighbours as number | 'auto';
        const badArgs = words.some((w) => w.includes('\uFFFD')) ? argsNotUtf8() : new Set<string>();
        const inputs: AsyncIterable<Input> | Input[] = words.length
          ? words.map((w, i) => ({ arg: i + 1, ...(badArgs.has(w) ? { error: NOT_UTF8_ARG } : check(w)) }))
          : stdinInputs(io.stdin, c.server.maxTextLength, check);
        // the first few rejected inputs are named; the rest only counted (stdin may be endless)
        const named: Origin[] = [];
        let rejected = 0;
        let batch: Input[] = [];
        for await (const input of inputs) {
          if ('error' in input && rejected++ < NAMED) named.push(input);
          batch.push(input);
          if (batch.length >= BATCH) {
            await emit(io, model, batch, neighbours);
            batch = [];
          }
        }
        if (batch.length) await emit(io, model, batch, neighbours);
        if (!rejected) return 0;
        const where = named.map((r) => ('arg' in r ? `argument ${r.arg}` : `line ${r.line}`));
        io.stderr.write(
          `error: ${rejected} message(s) rejected (${where.join(', ')}${rejected > where.length ? ', …' : ''}): see their "error" rows\n` +
            `  hint: each message must be 1–${c.server.maxTextLength} characters of valid UTF-8, not only whitespace (server.maxTextLength), as for POST /v1/classify\n`,
        );
        return EXIT.invalid_input;
      }),
    );
}

/** The server's own check of `text` (POST /v1/classify), with a stable code per kind of failure. */
function textChecker(maxTextLength: number): (text: string) => { text: string } | { error: RowError } {
  const schema = requestSchemas({ maxTextLength, maxBatch: 1 }).classify.shape.text;
  return (text) => {
    const r = schema.safeParse(text);
    if (r.success) return { text };
    const issue = r.error.issues[0];
    const code = issue.code === 'too_big' ? 'text_too_long' : issue.code === 'too_small' || text.trim() === '' ? 'empty_text' : 'invalid_text';
    return { error: { code, message: `text ${issue.message}` } };
  };
}

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });

const NOT_UTF8_ARG: RowError = { code: 'invalid_utf8', message: 'the argument is not valid UTF-8: set a UTF-8 locale (e.g. LANG=C.UTF-8) or re-encode the text' };

/**
 * Node hands arguments over already decoded, invalid bytes as U+FFFD. Where the raw command
 * line is readable (Linux), the arguments whose bytes are not UTF-8 (as decoded here, to match
 * them with what the command received); elsewhere none, and a U+FFFD is taken as written.
 */
function argsNotUtf8(): Set<string> {
  let raw: Buffer;
  try {
    raw = readFileSync('/proc/self/cmdline');
  } catch {
    return new Set();
  }
  const bad = new Set<string>();
  let start = 0;
  for (let end = raw.indexOf(0, start); end >= 0; start = end + 1, end = raw.indexOf(0, start)) {
    const arg = raw.subarray(start, end);
    try {
      fatalUtf8.decode(arg);
    } catch {
      bad.add(arg.toString('utf8'));
    }
  }
  return bad;
}

/**
 * One input per stdin line (blank lines included, as errors), read as bytes so invalid UTF-8 is
 * reported instead of silently becoming U+FFFD. A line is never buffered past what the longest
 * accepted message can take (4 bytes per character): the rest of it is skipped.
 */
async function* stdinInputs(stdin: NodeJS.ReadableStream, maxTextLength: number, check: (t: string) => { text: string } | { error: RowError }): AsyncGenerator<Input> {
  const cap = 4 * maxTextLength + 2;
  let lineNo = 0;
  let parts: Buffer[] = [];
  let size = 0;
  let overflow = false;
  const finish = (): Input => {
    lineNo++;
    const bytes = Buffer.concat(parts);
    parts = [];
    size = 0;
    const wasOverflow = overflow;
    overflow = false;
    const end = bytes.length && bytes[bytes.length - 1] === 0x0d ? bytes.length - 1 : bytes.length;
    if (wasOverflow) return { line: lineNo, error: { code: 'text_too_long', message: `text is longer than ${cap} bytes; the limit is ${maxTextLength} characters (server.maxTextLength): shorten the message` } };
    let text: string;
    try {
      text = fatalUtf8.decode(bytes.subarray(0, end));
    } catch {
      return { line: lineNo, error: { code: 'invalid_utf8', message: `the line is not valid UTF-8 (first bad byte at column ${firstBadByte(bytes.subarray(0, end)) + 1}): re-encode the input as UTF-8` } };
    }
    return { line: lineNo, ...check(text) };
  };
  for await (const chunk of stdin as AsyncIterable<Buffer | string>) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    let start = 0;
    for (let nl = buf.indexOf(10, start); nl >= 0; nl = buf.indexOf(10, start)) {
      take(buf.subarray(start, nl));
      yield finish();
      start = nl + 1;
    }
    take(buf.subarray(start));
  }
  if (size || overflow) yield finish();

  function take(b: Buffer): void {
    if (overflow || !b.length) return;
    if (size + b.length > cap) {
      overflow = true;
      parts = [];
      size = 0;
      return;
    }
    parts.push(b);
    size += b.length;
  }
}

/** Offset of the first byte that does not start a valid UTF-8 sequence (for the message). */
function firstBadByte(b: Uint8Array): number {
  for (let i = 0; i < b.length; ) {
    let n = 0;
    for (const len of [1, 2, 3, 4]) {
      try {
        fatalUtf8.decode(b.subarray(i, i + len));
        n = len;
        break;
      } catch {
        /* try a longer sequence */
      }
    }
    if (n === 0) return i;
    i += n;
  }
  return b.length;
}

/** One JSON line per input, in input order: the prediction, or the reason it was rejected. */
async function emit(io: CliIO, model: Classifier, inputs: readonly Input[], neighbours: number | 'auto'): Promise<void> {
  const valid = inputs.filter((i): i is Input & { text: string } => 'text' in i);
  const preds = valid.length ? await model.classify(valid.map((v) => v.text), { neighbours }) : [];
  const byInput = new Map<Input, (typeof preds)[number]>(valid.map((v, i) => [v, preds[i]]));
  out(io, inputs.map((i) => JSON.stringify(byInput.has(i) ? { ...i, ...byInput.get(i) } : i)).join('\n'));
}
