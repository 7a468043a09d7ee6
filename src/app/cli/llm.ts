import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import type { LlmVariant } from '../../ports/llm-variant.js';
import { IntentOpsError } from '../../core/errors.js';
import { evaluateLlmGates, hasLlmGates } from '../../core/gates/llm.js';
import { loadOptions, loadVariant, openClassifier, openLlmRegistry, openLlmResponseCache, openTracking, variantClient } from '../container/index.js';
import { whoAmI } from '../config.js';
import { formatLlmEval, renderLlmEvalHtml, renderLlmEvalJson, renderLlmEvalMarkdown, type LlmEvalReport } from '../report/llm-eval.js';
import { writeReportFile } from '../report/write.js';
import { loadExamples } from '../services/dataset.js';
import { GATE_FAILED_EXIT, loadGatesFile } from '../services/gate.js';
import { recordLlmEvalRuns, runLlmEval } from '../services/llm-eval.js';
import { registerVariant, resolveVariant } from '../services/llm-registry.js';
import { history, setAlias, showModel } from '../services/registry.js';
import { action, configFor, out, positiveIntOption, type CliIO } from './context.js';
import { registerLlmRollout } from './llm-rollout.js';
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
  html?: string;
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
    .option('--html <file>', 'write a self-contained HTML report')
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
            client: variantClient,
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
        if (o.html) writeReportFile(o.html, renderLlmEvalHtml(report));
        if (o.json) out(io, renderLlmEvalJson(report));
        else {
          const text = [formatLlmEval(report)];
          for (const f of [o.md, o.html].filter(Boolean)) text.push(`wrote ${f}`);
          if (runIds.length) text.push(`recorded as runs ${runIds.map((id) => id.slice(0, 13)).join(', ')} (intentops runs show ID)`);
          out(io, text.join('\n'));
        }
        if (report.gates?.some((g) => !g.passed)) return GATE_FAILED_EXIT;
        return undefined;
      }),
    );
  registerLlmRegistry(llm, io);
  registerLlmRollout(llm, io, { registry: REGISTRY_FLAG, artifacts: ARTIFACTS_FLAG });
}

interface PromoteFlags {
  to: string;
  gates: string;
  data: string;
  model: string;
  concurrency: number;
  maxCostUsd?: number;
  cacheDir?: string;
  cache: boolean;
  why?: string;
  registry?: string;
  artifacts?: string;
  modelDir?: string;
  textCol?: string;
  labelCol?: string;
}

/** The variant registry: its own store and artifacts (llm.registryUri, llm.artifactsUri), so `models` and `rollout` commands never see variants (nor `models gc` their files). */
function variantRegistry(cmd: Command, io: CliIO, o: { registry?: string; artifacts?: string }, c = configFor(cmd, io)) {
  return openLlmRegistry(c, o);
}

const REGISTRY_FLAG = 'variant registry (default llm.registryUri: $INTENTOPS_LLM_REGISTRY_URI or sqlite:./intentops-llm.db)';
const ARTIFACTS_FLAG = 'variant artifact store (default llm.artifactsUri: $INTENTOPS_LLM_ARTIFACTS_URI or file:./intentops-llm-artifacts)';

/** `intentops llm register|promote|show|history`: LLM variants as registry versions with audited aliases. */
function registerLlmRegistry(llm: Command, io: CliIO): void {
  llm
    .command('show')
    .description('versions and aliases of a registered variant name')
    .argument('<name>')
    .option('--registry <uri>', REGISTRY_FLAG)
    .option('--artifacts <uri>', ARTIFACTS_FLAG)
    .action(
      action(io, async (name: string, o: { registry?: string; artifacts?: string }, cmd: Command) => {
        const reg = await variantRegistry(cmd, io, o);
        try {
          out(io, JSON.stringify(await showModel(reg, name), null, 2));
        } finally {
          await reg.store.close();
        }
      }),
    );
  llm
    .command('history')
    .description('the audit log of alias moves of a registered variant name, newest first')
    .argument('<name>')
    .option('--registry <uri>', REGISTRY_FLAG)
    .option('--artifacts <uri>', ARTIFACTS_FLAG)
    .action(
      action(io, async (name: string, o: { registry?: string; artifacts?: string }, cmd: Command) => {
        const reg = await variantRegistry(cmd, io, o);
        try {
          for (const m of await history(reg, name)) out(io, `${m.at}  ${m.alias}: ${m.from ?? '(none)'} → ${m.to ?? '(deleted)'}  by ${m.who}${m.why ? `: ${m.why}` : ''}`);
        } finally {
          await reg.store.close();
        }
      }),
    );
  llm
    .command('register')
    .description('store a variant file as the next immutable version of NAME in the registry (the template inlined); `models show NAME` and `models history NAME` list its versions and alias moves')
    .argument('<file>', 'variant file')
    .requiredOption('--name <name>', 'registered name, e.g. tickets-llm')
    .option('--alias <alias>', 'also point this alias at the new version (e.g. challenger)')
    .option('--why <text>', 'reason, for the audit log')
    .option('--registry <uri>', REGISTRY_FLAG)
    .option('--artifacts <uri>', ARTIFACTS_FLAG)
    .action(
      action(io, async (file: string, o: { name: string; alias?: string; why?: string; registry?: string; artifacts?: string }, cmd: Command) => {
        const reg = await variantRegistry(cmd, io, o);
        try {
          const { version, variant } = await registerVariant(reg, file, o.name, whoAmI(), loadVariant);
          if (o.alias) await setAlias(reg, o.name, o.alias, version.version, { who: whoAmI(), why: o.why ?? 'registered' });
          out(io, `registered ${o.name}/${version.version}: variant ${variant.name}@${variant.hash} (${variant.settings.provider}:${variant.settings.model ?? variant.settings.deployment})${o.alias ? `; ${o.alias} → ${version.version}` : ''}`);
        } finally {
          await reg.store.close();
        }
      }),
    );
  llm
    .command('promote')
    .description('point an alias (e.g. champion) at a registered variant, only if it passes the llm gates on the data (evaluated against the alias\'s current variant); exit 6 and no move otherwise')
    .argument('<ref>', 'registered variant: NAME/VERSION or NAME@ALIAS')
    .option('--to <alias>', 'alias to move', 'champion')
    .requiredOption('--gates <file>', 'gates file with an llm: section')
    .requiredOption('--data <file>', 'labelled messages')
    .requiredOption('--model <dir>', 'model bundle whose routing picks the slice')
    .option('--concurrency <n>', 'LLM calls in flight per variant', positiveIntOption('--concurrency'), 4)
    .option('--max-cost-usd <usd>', 'cost ceiling of the evaluation (a partial evaluation fails the gates)', costOption)
    .option('--cache-dir <dir>', 'response cache directory (default: <cacheDir>/llm-eval)')
    .option('--no-cache', 'neither read nor write the response cache')
    .option('--why <text>', 'reason, for the audit log')
    .option('--registry <uri>', REGISTRY_FLAG)
    .option('--artifacts <uri>', ARTIFACTS_FLAG)
    .option('--model-dir <dir>', 'ONNX sentence-encoder directory, if the bundle uses onnx and it moved')
    .option('--text-col <name>', 'text column / field')
    .option('--label-col <name>', 'label column / field')
    .action(
      action(io, async (ref: string, o: PromoteFlags, cmd: Command) => {
        const c = configFor(cmd, io, { onnx: { modelDir: o.modelDir }, data: { textCol: o.textCol, labelCol: o.labelCol } });
        const gates = loadGatesFile(o.gates);
        if (!hasLlmGates(gates)) throw new IntentOpsError('invalid_config', `${o.gates} has no LLM gates`, { where: o.gates, hint: 'add an llm: section (minSliceAccuracy, maxCostPer1k, maxInvalidRate)' });
        const reg = await variantRegistry(cmd, io, o, c);
        try {
          const cand = await resolveVariant(reg, ref, loadVariant);
          const name = cand.version.name;
          const current = await resolveVariant(reg, `${name}@${o.to}`, loadVariant).catch((e: unknown) => {
            if (e instanceof IntentOpsError && e.code === 'not_found') return undefined;
            throw e;
          });
          if (current && current.version.version === cand.version.version) {
            out(io, `${name}@${o.to} already points at ${name}/${cand.version.version}`);
            return undefined;
          }
          const named = (x: { version: { name: string; version: number }; variant: LlmVariant }): LlmVariant => ({ ...x.variant, name: `${x.version.name}-v${x.version.version}` });
          const variants = current ? [named(current), named(cand)] : [named(cand)];
          const model = await openClassifier(o.model, c);
          const data = await loadExamples(o.data, { ...loadOptions(c), keepDuplicates: true });
          const cache = o.cache ? await openLlmResponseCache(o.cacheDir ?? join(c.cacheDir, 'llm-eval')) : undefined;
          let result;
          try {
            result = await runLlmEval({ variants, examples: data.examples, model, concurrency: o.concurrency, maxCostUsd: o.maxCostUsd, cache, env: io.env, client: variantClient });
          } finally {
            await cache?.close();
          }
          const figures = result.variants.map((v) => evaluateLlmGates(gates.llm!, { sliceAccuracy: v.metrics.sliceAccuracy, costPer1k: v.metrics.costPer1k, invalidRate: v.metrics.invalidRate, partial: v.metrics.partial }));
          out(io, formatLlmEval({ result, gates: figures }));
          const verdict = figures[figures.length - 1];
          if (!verdict.passed) {
            out(io, `\nrefused: ${name}/${cand.version.version} fails the llm gates (${verdict.failed.map((f) => f.gate).join(', ')}); ${name}@${o.to} unchanged`);
            return GATE_FAILED_EXIT;
          }
          const move = await setAlias(reg, name, o.to, cand.version.version, { who: whoAmI(), why: o.why ?? `llm gates passed on ${o.data}` });
          out(io, `\npromoted: ${name}@${o.to} ${move.from ?? '(none)'} → ${move.to}`);
          return undefined;
        } finally {
          await reg.store.close();
        }
      }),
    );
}
