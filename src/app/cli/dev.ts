import type { Command } from 'commander';
import { IntentOpsError } from '../../core/errors.js';
import { loadOptions } from '../container/index.js';
import { startFakeLlm, type FakeModel, type OracleOptions } from '../dev/fake-llm-server.js';
import { hashKey } from '../http/auth.js';
import { checkFile } from '../services/dataset.js';
import { action, configFor, intOption, numberOption, out, type CliIO } from './context.js';

/** `intentops dev …`: helpers for operators and for trying the service offline. */
export function registerDev(program: Command, io: CliIO): void {
  const dev = program.command('dev').description('helpers: hash an API key, run a fake LLM server');
  dev
    .command('hash-key')
    .description('print the sha256 to put in server.apiKeys (or INTENTOPS_API_KEYS=name:sha256); reads the key from stdin when omitted')
    .argument('[key]', 'the API key (omit to read it from stdin and keep it out of shell history)')
    .option('--name <name>', 'print `name:sha256`, the INTENTOPS_API_KEYS form')
    .action(
      action(io, async (key: string | undefined, o: { name?: string }) => {
        const k = (key ?? (await readAll(io.stdin))).trim();
        if (!k) throw new IntentOpsError('invalid_input', 'no key given', { hint: 'pass the key as an argument or pipe it into stdin' });
        const h = hashKey(k);
        out(io, o.name ? `${o.name}:${h}` : h);
      }),
    );
  dev
    .command('fake-llm')
    .description('run a local fake LLM (OpenAI chat-completions wire format) to try the fallback offline, until Ctrl-C; it also names discovered clusters (the words most of their messages share)')
    .option('--port <n>', 'TCP port (default 0: any free port)', intOption('--port'), 0)
    .option('--host <host>', 'interface', '127.0.0.1')
    .option('--latency-ms <n>', 'added to every answer', intOption('--latency-ms'), 0)
    .option('--oracle <file>', 'labelled file: answer the true label of its texts with probability --accuracy')
    .option('--accuracy <p>', 'oracle accuracy, 0–1', numberOption('--accuracy'), 0.9)
    .option('--seed <n>', 'oracle seed (which texts it gets wrong)', intOption('--seed'), 0)
    .option('--api-key <key>', 'require this key (Authorization: Bearer or api-key)')
    .option('--models <spec>', 'several named models with the --oracle: "NAME=ACCURACY[:LATENCY_MS],…" (e.g. good=0.95:400,cheap=0.8:80), to try `llm eval` offline')
    .action(
      action(io, async (o: { port: number; host: string; latencyMs: number; oracle?: string; accuracy: number; seed: number; apiKey?: string; models?: string }, cmd: Command) => {
        if (o.accuracy < 0 || o.accuracy > 1) throw new IntentOpsError('invalid_input', `--accuracy must be between 0 and 1, got ${o.accuracy}`);
        let oracle;
        if (o.oracle) {
          // any labelled rows will do: training-set rules (labels, counts) do not apply to an oracle
          const data = await checkFile(o.oracle, loadOptions(configFor(cmd, io)));
          if (!data.examples.length) throw new IntentOpsError('invalid_input', `no labelled rows in ${o.oracle}`, { where: o.oracle, hint: 'see `intentops data check FILE`' });
          oracle = { labels: new Map(data.examples.map((e) => [e.text, e.label])), accuracy: o.accuracy, seed: o.seed };
        }
        const models = o.models ? namedModels(o.models, oracle) : undefined;
        const fake = await startFakeLlm({ port: o.port, host: o.host, latencyMs: o.latencyMs, apiKey: o.apiKey, oracle, models });
        if (models) out(io, `models: ${Object.entries(models).map(([n, m]) => `${n} (accuracy ${m.oracle?.accuracy}${m.latencyMs !== undefined ? `, ${m.latencyMs} ms` : ''})`).join(', ')}`);
        out(io, `fake LLM listening on ${fake.url}${oracle ? ` (oracle: ${oracle.labels.size} texts, accuracy ${o.accuracy})` : ''}`);
        out(io, `try it: INTENTOPS_LLM_PROVIDER=openai-chat INTENTOPS_LLM_BASE_URL=${fake.baseUrl} INTENTOPS_LLM_MODEL=fake intentops serve --model DIR`);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', () => resolve());
          process.once('SIGTERM', () => resolve());
        });
        await fake.close();
        out(io, `served ${fake.requests.length} requests`);
      }),
    );
}

async function readAll(s: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** `--models good=0.95:400,cheap=0.8`: one oracle per model name, each with its own accuracy (and latency). */
export function namedModels(spec: string, oracle: OracleOptions | undefined): Record<string, FakeModel> {
  if (!oracle) throw new IntentOpsError('invalid_input', '--models needs --oracle FILE (the labels the models answer from)', { where: '--models' });
  const models: Record<string, FakeModel> = {};
  for (const part of spec.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([^=\s]+)=([0-9.]+)(?::(\d+))?$/.exec(part);
    const accuracy = m ? Number(m[2]) : NaN;
    if (!m || !(accuracy >= 0 && accuracy <= 1)) {
      throw new IntentOpsError('invalid_input', `--models entry ${JSON.stringify(part)} is not NAME=ACCURACY[:LATENCY_MS] with an accuracy between 0 and 1`, { where: '--models', hint: 'e.g. --models good=0.95:400,cheap=0.8:80' });
    }
    models[m[1]] = { oracle: { ...oracle, accuracy, seed: `${oracle.seed ?? 0}:${m[1]}` }, ...(m[3] !== undefined ? { latencyMs: Number(m[3]) } : {}) };
  }
  return models;
}
