import cluster, { type Worker } from 'node:cluster';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { IntentOpsError } from '../../core/errors.js';
import type { Config } from '../config.js';
import { openServing } from '../container/index.js';
import type { RunningServer } from '../http/index.js';
import { aggregateWorkerMetrics, createLogger, type Logger } from '../telemetry/index.js';
import { initTracing, type Tracing } from '../telemetry/tracing.js';
import { action, configFor, intOption, type CliIO } from './context.js';
import { exitWhenIdle, processLifecycle } from './process-lifecycle.js';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

type Options = { model: string; port?: number; host?: string; modelDir?: string; workers?: number };

/**
 * `intentops serve`: the HTTP API until SIGTERM or SIGINT, then a graceful stop (stop
 * accepting, drain in-flight requests for up to server.shutdownTimeoutMs, close the stores,
 * exit 0). A second signal exits at once with code 1. SIGHUP reloads the model from --model.
 * With --workers N, a node:cluster primary runs N such servers on one port.
 */
export function registerServe(program: Command, io: CliIO): void {
  program
    .command('serve')
    .description('serve the HTTP API (POST /v1/classify, review queue, /metrics, /docs) until SIGTERM/SIGINT')
    .requiredOption('--model <dir>', 'model bundle directory')
    .option('--port <n>', 'TCP port (default 8080; 0 picks a free one)', intOption('--port'))
    .option('--host <host>', 'interface to listen on (default 127.0.0.1; 0.0.0.0 for all)')
    .option('--workers <n>', 'processes sharing the port (default 1; 0 = one per CPU core)', intOption('--workers'))
    .option('--model-dir <dir>', 'ONNX sentence-encoder directory, if the bundle uses onnx and it moved')
    .action(
      action(io, async (o: Options, cmd: Command) => {
        const c = configFor(cmd, io, { server: { port: o.port, host: o.host, workers: o.workers }, onnx: { modelDir: o.modelDir } });
        const log = createLogger({ level: c.logging.level, destination: io.stdout });
        const workers = c.server.workers === 0 ? availableParallelism() : c.server.workers;
        if (workers > 1 && cluster.isPrimary) return runPrimary(workers, log);
        // before the stack is built: spans of start-up work (store migrations) are kept too
        const tracing = await initTracing(c, log, { version: pkg.version, modelRef: o.model });
        try {
          return await runServer(o, c, io, log, tracing);
        } finally {
          await tracing.shutdown(); // already done after a clean stop; this covers a failed start
          // a worker's IPC channel would keep it alive after a failed start or a stop
          if (cluster.isWorker) cluster.worker?.disconnect();
        }
      }),
    );
}

/** One server process (alone, or as a cluster worker). Each worker exports its own spans. */
async function runServer(o: Options, c: Config, io: CliIO, log: Logger, tracing: Tracing): Promise<number> {
  const serving = await openServing(c, { modelDir: o.model, version: pkg.version, log });
  if (cluster.isWorker) serving.deps.metrics.joinCluster();
  // loaded here, not at the top: the other commands of this CLI do not need the HTTP stack
  const { listen } = await import('../http/index.js');
  let server: RunningServer;
  try {
    server = await listen(serving.app, c.server);
  } catch (e) {
    await serving.close();
    const err = e as NodeJS.ErrnoException;
    const hint = err.code === 'EADDRINUSE' ? 'pick another --port, or stop the process using it' : 'check --host and --port';
    throw new IntentOpsError('unavailable', `cannot listen on ${c.server.host}:${c.server.port}: ${err.code ?? err.message}`, { where: 'server', hint, cause: e });
  }
  log.info({ url: server.url, pid: process.pid }, 'listening');
  if (!cluster.isWorker) io.stderr.write(`intentops: serving ${serving.model().manifest.name} on ${server.url} (docs: ${server.url}/docs)\n`);

  const reload = () => {
    serving.loadModel(o.model).catch((e: unknown) => log.error({ err: (e as Error).message }, 'model reload failed; still serving the previous model'));
  };
  // a cluster worker stops on the primary's SIGTERM only (Ctrl-C reaches the whole process group)
  const ignore = () => undefined;
  if (cluster.isWorker) process.on('SIGINT', ignore);
  process.on('SIGHUP', reload);
  const lifecycle = processLifecycle(log, cluster.isWorker ? ['SIGTERM'] : ['SIGTERM', 'SIGINT']);
  const signal = await lifecycle.stopped;
  process.off('SIGHUP', reload);

  serving.deps.lifecycle!.draining = true;
  log.info({ signal, inFlight: server.inFlight(), timeoutMs: c.server.shutdownTimeoutMs }, 'shutting down: draining in-flight requests');
  const cut = await server.close(c.server.shutdownTimeoutMs);
  await serving.close();
  // the drained requests' spans are queued: export them before exiting
  await tracing.shutdown();
  if (cut) log.warn({ cut }, 'requests still running at the shutdown deadline were cut');
  log.info('stopped');
  lifecycle.dispose();
  process.off('SIGINT', ignore);
  exitWhenIdle();
  return 0;
}

/**
 * The cluster primary: starts workers one at a time (a bad model or port fails once, with one
 * message), restarts a worker that dies, forwards SIGTERM/SIGINT as SIGTERM so each worker
 * drains, and exits 0 when all of them stopped cleanly. Loads no model itself.
 */
async function runPrimary(n: number, log: Logger): Promise<number> {
  aggregateWorkerMetrics();
  let stopping = false;
  let failed = 0;
  const started = new Set<Worker>();
  const fork = () =>
    new Promise<Worker>((resolve, reject) => {
      const w = cluster.fork();
      w.once('listening', () => {
        started.add(w);
        resolve(w);
      });
      w.once('exit', (code, signal) => {
        if (!started.has(w)) return reject(code || 1);
        started.delete(w);
        if (code !== 0) failed = code ?? 1;
        if (!stopping) {
          log.error({ worker: w.process.pid, code, signal }, 'worker died; starting another');
          void fork().catch(() => undefined);
        }
      });
    });
  try {
    for (let i = 0; i < n; i++) await fork();
  } catch (code) {
    stopping = true;
    for (const w of started) w.process.kill('SIGTERM');
    await allExited();
    return code as number;
  }
  log.info({ workers: n, pid: process.pid }, 'cluster listening');
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  stopping = true;
  log.info({ signal, workers: started.size }, 'stopping workers');
  const force = () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGKILL');
    process.exit(1);
  };
  process.once('SIGTERM', force);
  process.once('SIGINT', force);
  for (const w of started) w.process.kill('SIGTERM');
  await allExited();
  process.off('SIGTERM', force);
  process.off('SIGINT', force);
  return failed;
}

function allExited(): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) resolve();
      else setTimeout(check, 20);
    };
    check();
  });
}
