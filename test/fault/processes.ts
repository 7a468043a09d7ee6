/**
 * `intentops` commands as child processes for the fault-injection suite: started, watched through
 * their JSON log lines, stopped with real signals.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI_MAIN, tempDir } from '../helpers/sample.js';

export interface Child {
  readonly proc: ChildProcess;
  logs(): Record<string, unknown>[];
  stderr(): string;
  readonly exit: Promise<number | null>;
}

/** Runs `intentops <args>` and resolves once it logged `ready` (a message), or rejects if it exits first. */
export async function intentops(args: string[], ready: string, env: Record<string, string> = {}): Promise<Child> {
  const proc = spawn(process.execPath, [CLI_MAIN, ...args], { cwd: tempDir(), env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env } });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d));
  proc.stderr!.on('data', (d: Buffer) => (err += d));
  const exit = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const logs = () =>
    out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (logs().some((l) => l.msg === ready)) {
        clearInterval(timer);
        resolve();
      }
    }, 25);
    void exit.then((code) => {
      clearInterval(timer);
      reject(new Error(`intentops ${args[0]} exited with ${code} before "${ready}":\n${err}\n${out}`));
    });
  });
  return { proc, logs, stderr: () => err, exit };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every 100 ms; throws naming `what` after `ms`. */
export async function within(ms: number, what: string, cond: () => Promise<boolean> | boolean): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(100);
  }
}
