import type { Command } from 'commander';
import { loadOptions, openTracking, trainSettings } from '../container/index.js';
import { trainModel } from '../container/index.js';
import { CV_MAX_EXAMPLES, type TrainResult } from '../services/train.js';
import { trackTraining } from '../services/runs.js';
import { codeVersion } from './git.js';
import { action, configFor, intOption, numberOption, out, type CliIO } from './context.js';
import { terminalProgress } from './progress-bar.js';

export function registerTrain(program: Command, io: CliIO): void {
  program
    .command('train')
    .description('train a model bundle from a labelled CSV/JSONL/JSON file')
    .requiredOption('--data <file>', 'labelled training data')
    .option('--val <file>', 'validation data (default: a stratified split of --data)')
    .requiredOption('--out <dir>', 'bundle directory to write (replaced atomically)')
    .option('--embedder <name>', 'hashed | onnx | openai | hashed+onnx …')
    .option('--model-dir <dir>', 'ONNX sentence-encoder directory (for the onnx embedder)')
    .option('--seed <n>', 'random seed', intOption('--seed'))
    .option('--target-precision <p>', 'accuracy to reach on accepted messages (0–1)', numberOption('--target-precision'))
    .option('--index <kind>', 'auto | exact | hnsw')
    .option('--validation <how>', `auto | split | cv: calibrate on a 10 % hold-out or by k-fold cross-fitting (5 folds up to 5,000 examples, 3 above; auto: cv up to ${CV_MAX_EXAMPLES.toLocaleString('en-US')} examples)`)
    .option('--name <name>', 'model name recorded in the bundle')
    .option('--text-col <name>', 'text column / field')
    .option('--label-col <name>', 'label column / field')
    .option('--delimiter <c>', 'CSV delimiter (default: sniffed)')
    .option('--strict', 'treat data warnings as errors')
    .option('--json', 'print the result as JSON')
    .action(
      action(io, async (o: Record<string, string | number | boolean | undefined>, cmd: Command) => {
        const c = configFor(cmd, io, {
          embedder: o.embedder,
          seed: o.seed,
          targetPrecision: o.targetPrecision,
          index: o.index,
          validation: o.validation,
          onnx: { modelDir: o.modelDir },
          data: { textCol: o.textCol, labelCol: o.labelCol, delimiter: o.delimiter, strict: o.strict },
        });
        const train = (): Promise<TrainResult> =>
          trainModel({
          data: String(o.data),
          val: o.val as string | undefined,
          out: String(o.out),
          name: o.name as string | undefined,
          ...trainSettings(c),
          load: loadOptions(c),
          progress: terminalProgress(),
        });
        // every training is a tracked run (parameters, data hash, metrics, code version)
        let runId: string | undefined;
        let r: TrainResult;
        if (c.tracking.uri === 'none') r = await train();
        else {
          const store = await openTracking(c);
          try {
            const t = await trackTraining(store, { name: String(o.name ?? o.out).split(/[\\/]/).filter(Boolean).pop() ?? 'model', codeVersion: codeVersion() }, train);
            r = t.result;
            runId = t.run.id;
          } finally {
            await store.close();
          }
        }
        const m = r.manifest;
        if (o.json) {
          out(io, JSON.stringify({ dir: r.dir, runId, seconds: r.seconds, metrics: m.metrics, routing: m.routing, data: r.report }, null, 2));
          return;
        }
        const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
        const heldOut =
          m.training.valSource === 'cv'
            ? `every one of the ${m.training.trainExamples} examples predicted by a model that did not see it (cross-fitting; paraphrases kept in one fold); the served model is then fitted on all of them`
            : m.training.valSource === 'file'
              ? `${m.training.trainExamples} training examples, ${m.training.valExamples} held-out examples from --val`
              : `${m.training.trainExamples} training examples, ${m.training.valExamples} held out (paraphrases kept on one side); the served model is then refitted on all of them`;
        out(io, `trained ${m.name}: ${m.labels.length} intents, embedder ${m.embedder.name}, ${r.seconds.toFixed(1)} s`);
        out(io, `held-out predictions: ${heldOut}`);
        const bound = m.routing.precisionBound !== undefined && m.routing.delta ? `, at least ${pct(m.routing.precisionBound)} with ${(100 * (1 - m.routing.delta)).toFixed(0)} % confidence` : '';
        out(io, `on them: accuracy ${pct(m.metrics.valAccuracy ?? 0)}; the chosen thresholds answer ${pct(m.routing.coverage)} at once with ${pct(m.routing.precision)} accuracy${bound} (target ${pct(m.routing.targetPrecision)}${m.routing.reachedTarget ? ': promised' : ': NOT reached — the rest goes to the LLM or review'})`);
        if (m.novelty) out(io, `out-of-scope detection: separates held-out messages from intents left out of training with AUROC ${m.novelty.auroc.toFixed(3)} (${m.novelty.features.join(' + ')}); assumes ${pct(m.novelty.defaultShare)} unknown messages until serving estimates the share from traffic`);
        if (r.report.duplicatesDropped + r.report.nearDuplicatesDropped + r.report.conflicts > 0) {
          out(io, `data: ${r.report.duplicatesDropped} duplicates and ${r.report.nearDuplicatesDropped} near-duplicates dropped, ${r.report.conflicts} conflicting texts dropped`);
        }
        out(io, `wrote ${r.dir}${runId ? ` (run ${runId.slice(0, 13)})` : ''}`);
      }),
    );
}
