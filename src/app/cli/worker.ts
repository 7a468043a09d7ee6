import type { Command } from 'commander';
import { configSchema, type Config } from '../config.js';
import { openBrokerFor, openClassifyStack } from '../container/index.js';
import { Worker } from '../services/worker.js';
import { createLogger } from '../telemetry/index.js';
import { action, configFor, positiveIntOption, type CliIO } from './context.js';
import { exitWhenIdle, processLifecycle } from './process-lifecycle.js';

type Options = {
  model: string;
  modelDir?: string;
  broker?: string;
  stream?: string;
  in?: string;
  out?: string;
  dlq?: string;
  consumer?: string;
  concurrency?: number;
  batch?: number;
  maxDeliver?: number;
  ackWait?: number;
  retryDelay?: number;
};

/** The `broker` config section (flags > env > file > defaults), read defensively until the schema has it. */
/** Where the worker reads and writes: config.broker (flags > env > file > defaults). */
export type BrokerSettings = Config['broker'];

/** The documented defaults, for the help texts (config.broker without file or environment). */
const DEFAULTS: BrokerSettings = configSchema.parse({}).broker;

export function brokerSettings(o: Options, c: Config): BrokerSettings {
  const flags: Partial<BrokerSettings> = { uri: o.broker, stream: o.stream, in: o.in, out: o.out, dlq: o.dlq, consumer: o.consumer, concurrency: o.concurrency, batch: o.batch, maxDeliver: o.maxDeliver, ackWaitMs: o.ackWait, retryDelayMs: o.retryDelay };
  return { ...c.broker, ...Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined)) };
}

/**
 * `intentops worker`: classify messages from a broker until SIGTERM or SIGINT, then stop taking
 * new ones, finish and ack those in hand, close, exit 0 (a second signal exits at once with 1).
 * Run several: they share the input through one durable consumer.
 */
export function registerWorker(program: Command, io: CliIO): void {
  program
    .command('worker')
    .description('classify messages from a broker (NATS JetStream) until SIGTERM/SIGINT: JSON {id, text, metadata?} in, POST /v1/classify answers out, poison messages to the dead-letter subject')
    .requiredOption('--model <dir>', 'model bundle directory, or models:/NAME@ALIAS')
    .option('--broker <uri>', `broker URI (default ${DEFAULTS.uri}; broker.uri, INTENTOPS_BROKER_URI)`)
    .option('--stream <name>', `input stream, created when missing; results go to <name>_OUT (default ${DEFAULTS.stream})`)
    .option('--in <subject>', `input subject (default ${DEFAULTS.in})`)
    .option('--out <subject>', `results subject (default ${DEFAULTS.out})`)
    .option('--dlq <subject>', `dead-letter subject (default ${DEFAULTS.dlq})`)
    .option('--consumer <name>', `durable consumer shared by all workers (default ${DEFAULTS.consumer})`)
    .option('--concurrency <n>', `messages in flight per worker (default ${DEFAULTS.concurrency})`, positiveIntOption('--concurrency'))
    .option('--batch <n>', `messages classified together (default ${DEFAULTS.batch})`, positiveIntOption('--batch'))
    .option('--max-deliver <n>', `deliveries before a failing message is dead-lettered (default ${DEFAULTS.maxDeliver})`, positiveIntOption('--max-deliver'))
    .option('--ack-wait <ms>', `redeliver a message held this long by a worker that died (default ${DEFAULTS.ackWaitMs}; applies when the consumer is created)`, positiveIntOption('--ack-wait'))
    .option('--retry-delay <ms>', `backoff before the first retry, doubling after (default ${DEFAULTS.retryDelayMs})`, positiveIntOption('--retry-delay'))
    .option('--model-dir <dir>', 'ONNX sentence-encoder directory, if the bundle uses onnx and it moved')
    .action(
      action(io, async (o: Options, cmd: Command) => {
        const c = configFor(cmd, io, { onnx: { modelDir: o.modelDir } });
        const b = brokerSettings(o, c);
        const log = createLogger({ level: c.logging.level, destination: io.stdout });
        const stack = await openClassifyStack(c, { modelDir: o.model, log });
        let broker;
        try {
          broker = await openBrokerFor(b);
        } catch (e) {
          await stack.close();
          throw e;
        }
        const worker = new Worker({ broker, classify: stack.classify, log }, { batchSize: b.batch, concurrency: b.concurrency, maxDeliver: b.maxDeliver, retryBaseMs: b.retryDelayMs, maxTextLength: c.server.maxTextLength });
        const ctl = new AbortController();
        const lifecycle = processLifecycle(log);
        void lifecycle.stopped.then((signal) => {
          log.info({ signal, ...worker.stats() }, 'stopping: finishing the messages in hand');
          ctl.abort();
        });
        const ticker = setInterval(() => log.info(worker.stats(), 'progress'), 10_000);
        ticker.unref();
        const { uri: _uri, ...shown } = b;
        log.info({ pid: process.pid, broker: b.uri.replace(/\/\/[^@/]*@/, '//***@'), ...shown, model: stack.model().manifest.name }, 'worker started');
        try {
          await worker.run(ctl.signal);
        } finally {
          clearInterval(ticker);
          await broker.close();
          await stack.close();
          lifecycle.dispose();
        }
        log.info(worker.stats(), 'stopped');
        exitWhenIdle();
        return 0;
      }),
    );
}
