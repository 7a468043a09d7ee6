import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { fsyncDir, writeFileDurable } from '../../lib/durable-fs.js';
import { IntentOpsError } from '../../core/errors.js';

/*
 * The resume point of a `classify-file` run, kept beside OUT as OUT.checkpoint. It records how
 * far the input was consumed (byte offset and line, always at a record boundary) and how long
 * OUT was at that moment, after OUT was fsynced. A rerun truncates OUT to that length and seeks
 * the input to that offset: rows written after the checkpoint are written again, once, so the
 * output has no duplicate and no gap. Written atomically (temp file, fsync, rename, fsync dir),
 * so a crash leaves the previous checkpoint or the new one, never half of one.
 */

export const CHECKPOINT_VERSION = 1;

export interface Checkpoint {
  readonly version: number;
  /** What the run was: resuming with anything else would mix two different outputs. */
  readonly run: Readonly<Record<string, string | number | boolean>>;
  readonly input: { readonly offset: number; readonly line: number };
  readonly outputBytes: number;
  readonly rows: number;
  readonly errors: number;
  readonly updatedAt: string;
}

export function checkpointPath(out: string): string {
  return `${out}.checkpoint`;
}

export function writeCheckpoint(out: string, cp: Checkpoint): void {
  const path = checkpointPath(out);
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileDurable(tmp, `${JSON.stringify(cp, null, 2)}\n`);
  renameSync(tmp, path);
  fsyncDir(dirname(path));
}

/** The checkpoint beside OUT, or undefined when there is none; a damaged one is 'corrupt'. */
export function readCheckpoint(out: string): Checkpoint | undefined {
  const path = checkpointPath(out);
  if (!existsSync(path)) return undefined;
  let cp: Checkpoint;
  try {
    cp = JSON.parse(readFileSync(path, 'utf8')) as Checkpoint;
  } catch (e) {
    throw new IntentOpsError('corrupt', `the checkpoint ${path} cannot be read: ${(e as Error).message}`, { where: path, hint: 'pass --restart to start over (OUT is rewritten)', cause: e });
  }
  const ok = cp && cp.version === CHECKPOINT_VERSION && typeof cp.run === 'object' && Number.isSafeInteger(cp.input?.offset) && Number.isSafeInteger(cp.input?.line) && Number.isSafeInteger(cp.outputBytes) && Number.isSafeInteger(cp.rows) && Number.isSafeInteger(cp.errors);
  if (!ok) throw new IntentOpsError('corrupt', `the checkpoint ${path} is not a version-${CHECKPOINT_VERSION} classify-file checkpoint`, { where: path, hint: 'pass --restart to start over (OUT is rewritten)' });
  return cp;
}

/** Fails unless the checkpoint was written by a run with the same arguments, model and input. */
export function checkSameRun(out: string, cp: Checkpoint, run: Checkpoint['run']): void {
  const keys = [...new Set([...Object.keys(cp.run), ...Object.keys(run)])];
  const changed = keys.filter((k) => cp.run[k] !== run[k]);
  if (!changed.length) return;
  const shown = changed.map((k) => `${k} (${JSON.stringify(cp.run[k])} then, ${JSON.stringify(run[k])} now)`).join(', ');
  throw new IntentOpsError('invalid_input', `${basename(checkpointPath(out))} belongs to a different run: ${shown}`, {
    where: checkpointPath(out),
    hint: 'rerun with the same arguments, model and input to resume, or pass --restart to start over (OUT is rewritten)',
  });
}

export function removeCheckpoint(out: string): void {
  const path = checkpointPath(out);
  if (!existsSync(path)) return;
  rmSync(path, { force: true });
  fsyncDir(dirname(path));
}
