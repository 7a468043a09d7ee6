import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { openLlmResponseCache } from '../../adapters/llm/eval-cache.js';
import { loadVariant } from '../../adapters/llm/variant.js';
import { IntentOpsError } from '../../core/errors.js';
import { evaluateLlmGates, hasLlmGates } from '../../core/gates/llm.js';
import { loadOptions, openClassifier, openTracking } from '../container.js';
import { formatLlmEval, renderLlmEvalJson, renderLlmEvalMarkdown, type LlmEvalReport } from '../report/llm-eval.js';
import { writeReportFile } from '../report/write.js';
import { loadExamples } from '../services/dataset.js';
import { GATE_FAILED_EXIT, loadGatesFile } from '../services/gate.js';
import { recordLlmEvalRuns, runLlmEval } from '../services/llm-eval.js';
import { action, configFor, out, positiveIntOption, type CliIO } from './context.js';
import { codeVersion } from './git.js';

function costOption(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`--max-cost-usd must be a non-negative number of USD, got ${JSON.stringify(v)}`);
  return n;
}

interface EvalFlags {
  variants: string;
  data: string;
  model: string;
  all?: boolean;
  concurrency: number;
  maxCostUsd?: number;
  cacheDir?: string;
  cache: boolean;
  gates?: string;
  json?: boolean;
  md?: string;
  track: boolean;
  modelDir?: string;
  textCol?: string;
  labelCol?: string;
}

/** `intentops llm …`: the LLM fallback's variants (prompt × model × provider) measured and gated. */
export function registerLlm(program: Command, io: CliIO): void {
  const llm = program.command('llm').description('LLM fallback experiments: evaluate prompt and model variants on labelled data, with gates');
  llm
    .command('eval')
    .description("run LLM variants on the messages the bundle would send to the LLM (at its thresholds) and compare them: accuracy, out-of-scope handling, invalid output, tokens, cost, latency, McNemar against the first")
    .requiredOption('--variants <files>', 'variant files, comma-separated; the first is the champion the others are tested against')
    .requiredOption('--data <file>', 'labelled messages (CSV, JSONL, JSON)')
    .requiredOption('--model <dir>', 'model bundle whose routing picks the slice; its intents and nearest examples go into the prompts')
    .option('--all', 'send every row to the LLM, not only the slice the bundle does not accept')
    .option('--concurrency <n>', 'LLM calls in flight per variant', positiveIntOption('--concurrency'), 4)
    .option('--max-cost-usd <usd>', 'stop making calls once this much would be spent (all variants together); the results are then marked partial', costOption)
    .option('--cache-dir <dir>', 'response cache directory (default: <cacheDir>/llm-eval from the config)')
    .option('--no-cache', 'neither read nor write the response cache')
    .option('--gates <file>', 'gates file with an llm: section (minSliceAccuracy, maxCostPer1k, maxInvalidRate); exit 6 when a variant fails')
    .option('--json', 'print the results as JSON')
    .option('--md <file>', 'write a Markdown report')
    .option('--no-track', 'do not record the variants as runs in experiment tracking')
    .option('--model-dir <dir>', 'ONNX sentence-encoder directory, if the bundle uses onnx and it moved')
    .option('--text-col <name>', 'text column / field')
    .option('--label-col <name>', 'label column / field')
    .action(
      action(io, async (o: EvalFlags, cmd: Command) => {
        const c = configFor(cmd, io, { onnx: { modelDir: o.modelDir }, data: { textCol: o.textCol, labelCol: o.labelCol } });
        // cheap checks first: gates and variants are validated before the bundle is loaded or a call is made
        const gates = o.gates ? loadGatesFile(o.gates) : undefined;
        if (gates && !hasLlmGates(gates)) {
          throw new IntentOpsError('invalid_config', `${o.gates} has no LLM gates`, { where: o.gates, hint: 'add an llm: section, e.g. llm: { minSliceAccuracy: 0.8, maxCostPer1k: 0.5, maxInvalidRate: 0.02 }' });
        }
        const files = o.variants.split(',').map((f) => f.trim()).filter(Boolean);
        const variants = [];
        for (const f of files) variants.push(await loadVariant(f));
        const model = await openClassifier(o.model, c);
        const data = await loadExamples(o.data, { ...loadOptions(c), keepDuplicates: true });
        const cache = o.cache ? await openLlmResponseCache(o.cacheDir ?? join(c.cacheDir, 'llm-eval')) : undefined;
        const tty = (io.stderr as NodeJS.WriteStream).isTTY === true;
        let result;
        try {
          result = await runLlmEval({
            variants,
            examples: data.examples,
            model,
            all: o.all === true,
            concurrency: o.concurrency,
            maxCostUsd: o.maxCostUsd,
            cache,
            env: io.env,
            onProgress: tty ? (d, t) => io.stderr.write(`\rLLM calls ${d}/${t}${d === t ? '\n' : ''}`) : undefined,
          });
        } finally {
          await cache?.close();
        }
        const report: LlmEvalReport = {
          result,
          ...(gates?.llm
            ? {
                gates: result.variants.map((v) =>
                  evaluateLlmGates(gates.llm!, { sliceAccuracy: v.metrics.sliceAccuracy, costPer1k: v.metrics.costPer1k, invalidRate: v.metrics.invalidRate, partial: v.metrics.partial }),
                ),
              }
            : {}),
        };
        let runIds: string[] = [];
        // an LLM evaluation is an experiment of its own (like a training): recorded unless tracking is off
        if (o.track && c.tracking.uri !== 'none') {
          const store = await openTracking(c);
          try {
            runIds = await recordLlmEvalRuns(store, result, variants, { codeVersion: codeVersion(), data: o.data });
          } finally {
            await store.close();
          }
        }
        if (o.md) writeReportFile(o.md, renderLlmEvalMarkdown(report));
        if (o.json) out(io, renderLlmEvalJson(report));
        else {
          const text = [formatLlmEval(report)];
          if (o.md) text.push(`wrote ${o.md}`);
          if (runIds.length) text.push(`recorded as runs ${runIds.map((id) => id.slice(0, 13)).join(', ')} (intentops runs show ID)`);
          out(io, text.join('\n'));
        }
        if (report.gates?.some((g) => !g.passed)) return GATE_FAILED_EXIT;
        return undefined;
      }),
    );
}
