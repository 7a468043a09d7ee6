import { InvalidArgumentError, type Command } from 'commander';
import { debugStacks, loadConfig, type Config } from '../config.js';
import { asIntentOpsError, EXIT } from '../errors.js';

/** Streams and environment a command may touch: injected so tests can run commands in-process. */
export interface CliIO {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
}

export function out(io: CliIO, s: string): void {
  io.stdout.write(s.endsWith('\n') ? s : s + '\n');
}

/** The effective config for a command: its explicit flags over env over the config file. */
export function configFor(cmd: Command, io: CliIO, flags: Record<string, unknown> = {}): Config {
  const globals = cmd.optsWithGlobals() as { config?: string };
  return loadConfig({ file: globals.config, env: io.env, flags });
}

/**
 * Runs a command body; errors are printed as `error: where: message` + hint and become the
 * documented exit code (process.exitCode, never process.exit mid-flight).
 */
export function action<A extends unknown[]>(io: CliIO, fn: (...args: A) => Promise<number | void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      const code = await fn(...args);
      if (typeof code === 'number' && code !== 0) process.exitCode = code;
    } catch (e) {
      const err = asIntentOpsError(e);
      io.stderr.write(`error: ${err.describe()}\n`);
      if (err.code === 'internal' && debugStacks(io.env)) io.stderr.write(`${(e as Error).stack}\n`);
      process.exitCode = EXIT[err.code];
    }
  };
}

/** Commander's numeric option parser with a clear error. */
export function intOption(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n)) throw new InvalidArgumentError(`${name} must be an integer, got ${JSON.stringify(v)}`);
    return n;
  };
}

/** An integer of at least 1 (sizes, counts). */
export function positiveIntOption(name: string) {
  const parse = intOption(name);
  return (v: string): number => {
    const n = parse(v);
    if (n < 1) throw new InvalidArgumentError(`${name} must be at least 1, got ${v}`);
    return n;
  };
}

export function numberOption(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number, got ${JSON.stringify(v)}`);
    return n;
  };
}
