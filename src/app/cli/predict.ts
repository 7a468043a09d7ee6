import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { openClassifier } from '../container.js';
import { IntentOpsError } from '../../core/errors.js';
import type { Classifier } from '../services/model.js';
import { action, configFor, out, type CliIO } from './context.js';

const BATCH = 256;

export function registerPredict(program: Command, io: CliIO): void {
  program
    .command('predict')
    .description('classify each TEXT argument (quote each message), or one message per line of stdin; prints JSON Lines')
    .argument('[text...]', 'messages to classify, one per argument (omit to read stdin)')
    .requiredOption('--model <dir>', 'model bundle directory, or DIR1,DIR2 for a cascade (cheapest first)')
    .option('--model-dir <dir>', 'ONNX sentence-encoder directory, if the bundle uses onnx and it moved')
    .option('--neighbours <n>', "nearest labelled examples to include (default 'auto': 3 for messages that are not accepted)", (v) => (v === 'auto' ? 'auto' : Number(v)), 'auto')
    .action(
      action(io, async (words: string[], o: Record<string, string | number | undefined>, cmd: Command) => {
        const c = configFor(cmd, io, { onnx: { modelDir: o.modelDir } });
        const model = await openClassifier(String(o.model), c);
        const neighbours = o.neighbours as number | 'auto';
        if (words.length) {
          await emit(io, model, words, neighbours, words.map(() => 0));
          return;
        }
        if (io.stdin.isTTY) {
          throw new IntentOpsError('invalid_input', 'no text given', { hint: 'pass the message as an argument, or pipe one message per line into stdin' });
        }
        const rl = createInterface({ input: io.stdin, crlfDelay: Infinity });
        let batch: string[] = [];
        let lines: number[] = [];
        let lineNo = 0;
        for await (const line of rl) {
          lineNo++;
          if (line.trim() === '') continue;
          batch.push(line);
          lines.push(lineNo);
          if (batch.length >= BATCH) {
            await emit(io, model, batch, neighbours, lines);
            batch = [];
            lines = [];
          }
        }
        if (batch.length) await emit(io, model, batch, neighbours, lines);
      }),
    );
}

/** One JSON line per message; `line` is the stdin line number (0 for a command-line argument). */
async function emit(io: CliIO, model: Classifier, texts: string[], neighbours: number | 'auto', lineNos: number[]): Promise<void> {
  const preds = await model.classify(texts, { neighbours });
  const lines = preds.map((p, i) => JSON.stringify({ line: lineNos[i], text: texts[i], ...p }));
  out(io, lines.join('\n'));
}
