/**
 * The CLI as a child process (CLI_MAIN, the compiled code `bin/intentops.js` runs), in a scratch
 * working directory with only PATH and HOME from the test's environment plus what the test names.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { CLI_MAIN, tempDir } from './sample.js';

const BASE_ENV = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };

export interface Child {
  readonly proc: ChildProcess;
  readonly url: string;
  stdout(): string;
  stderr(): string;
  exit: Promise<number | null>;
}

/** Runs `intentops serve` in a child process and resolves once it logs `listening` (and `cluster listening` with --workers). */
export async function serveProcess(args: string[], env: Record<string, string> = {}): Promise<Child> {
  const clustered = args.includes('--workers');
  const proc = spawn(process.execPath, [CLI_MAIN, 'serve', '--port', '0', ...args], { cwd: tempDir(), env: { ...BASE_ENV, ...env } });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d));
  proc.stderr!.on('data', (d: Buffer) => (err += d));
  const exit = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /"url":"(http:\/\/[^"]+)","pid":\d+,"msg":"listening"/.exec(out);
      if (m && (!clustered || out.includes('"msg":"cluster listening"'))) {
        clearInterval(timer);
        resolve(m[1]);
      }
    }, 25);
    void exit.then((code) => {
      clearInterval(timer);
      reject(new Error(`serve exited with ${code} before listening:\n${err}\n${out}`));
    });
  });
  return { proc, url, stdout: () => out, stderr: () => err, exit };
}

/** Runs one CLI command to completion in a child process. */
export function cliProcess(args: string[], o: { input?: string; env?: Record<string, string> } = {}) {
  const r = spawnSync(process.execPath, [CLI_MAIN, ...args], { input: o.input ?? '', encoding: 'utf8', cwd: tempDir(), env: { ...BASE_ENV, ...o.env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
