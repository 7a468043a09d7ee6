#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import type { CliIO } from './context.js';
import { registerConfig } from './config.js';
import { registerData } from './data.js';
import { registerDev } from './dev.js';
import { registerEval } from './eval.js';
import { registerPredict } from './predict.js';
import { registerReview } from './review.js';
import { registerDiscover } from './discover.js';
import { registerServe } from './serve.js';
import { registerTrain } from './train.js';
import { registerLifecycle } from './lifecycle.js';
import { registerModels } from './models.js';
import { registerRuns } from './runs.js';
import { registerRollout } from './rollout.js';
import { registerMonitor } from './monitor.js';
import { registerWorker } from './worker.js';
import { registerClassifyFile } from './classify-file.js';
import { registerFeedback } from './feedback.js';
import { registerPurge } from './purge.js';
import { registerLlm } from './llm.js';
import { registerLoop } from './loop.js';
import { cliMainForced } from '../config.js';
import { EXIT } from '../errors.js';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

/** Builds the CLI. Commands only parse flags and call one service each. */
export function buildCli(io: CliIO): Command {
  const program = new Command('intentops')
    .description('hybrid intent classification: train, evaluate, serve and review')
    .version(pkg.version)
    .option('--config <file>', 'YAML config file (default: ./intentops.yaml if present, or $INTENTOPS_CONFIG)')
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');
  registerTrain(program, io);
  registerEval(program, io);
  registerPredict(program, io);
  registerData(program, io);
  registerRuns(program, io);
  registerModels(program, io);
  registerLifecycle(program, io);
  registerRollout(program, io);
  registerServe(program, io);
  registerReview(program, io);
  registerDiscover(program, io);
  registerMonitor(program, io);
  registerWorker(program, io);
  registerClassifyFile(program, io);
  registerFeedback(program, io);
  registerPurge(program, io);
  registerLlm(program, io);
  registerLoop(program, io);
  registerDev(program, io);
  registerConfig(program, io);
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  for (const c of all(program)) c.exitOverride();
  return program;
}

export async function runCli(argv: string[], io: CliIO): Promise<void> {
  try {
    await buildCli(io).parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version exit 0; usage errors exit 2
      process.exitCode = e.exitCode === 0 ? 0 : EXIT.invalid_input;
      return;
    }
    throw e;
  }
}

const isMain = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain || cliMainForced(process.env)) {
  // `intentops predict … | head` closes the pipe early: that is not an error
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env });
}
