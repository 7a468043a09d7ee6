import { Readable, Writable } from 'node:stream';
import { runCli } from '../../src/app/cli/main.js';
import { createLogger, type Logger } from '../../src/app/telemetry/index.js';

/** A debug logger whose JSON lines are kept in memory: `entries()` parses them. */
export function logSink(): { log: Logger; entries: () => Record<string, unknown>[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { log: createLogger({ level: 'debug', destination }), entries: () => lines.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

/** Runs the CLI in-process against `env` (stdin: `input`, else empty), returning its exit code and output. */
export async function runCliCaptured(args: string[], env: Record<string, string>, input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const sink = (f: (s: string) => void) => new Writable({ write: (chunk, _e, cb) => (f(String(chunk)), cb()) });
  process.exitCode = undefined;
  await runCli(args, { stdout: sink((s) => (stdout += s)), stderr: sink((s) => (stderr += s)), stdin: Readable.from(input ? [input] : []), env });
  const code = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { code, stdout, stderr };
}
