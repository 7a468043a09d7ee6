import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { alive, fsyncDir, writeFileDurable } from '../../lib/durable-fs.js';

export { writeFileDurable };
import { basename, dirname, join } from 'node:path';

/** Where the previous version waits during the swap (and after a crash inside it). */
export function backupPath(dir: string): string {
  return join(dirname(dir), `.${basename(dir)}.intentops-prev`);
}



/**
 * Undo a swap that a crash interrupted: if `dir` is missing but its backup exists, the backup
 * is the last complete version; if both exist, the swap finished and the backup is stale.
 */
export function recoverSwap(dir: string): void {
  const prev = backupPath(dir);
  if (!existsSync(prev)) return;
  if (existsSync(dir)) rmSync(prev, { recursive: true, force: true });
  else renameSync(prev, dir);
}


/** Removes temp directories left by writers that died (their pid is gone). */
function removeDeadTemps(dir: string): void {
  const prefix = `.${basename(dir)}.intentops-tmp-`;
  for (const name of readdirSync(dirname(dir))) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    if (Number.isInteger(pid) && pid !== process.pid && !alive(pid)) rmSync(join(dirname(dir), name), { recursive: true, force: true });
  }
}

export type WriteStep = 'files-written' | 'old-moved-aside' | 'new-in-place';

/**
 * Writes a directory atomically: `fill` writes into a fresh temp directory beside `dir`, every
 * file is fsynced, then the temp directory replaces `dir` by rename. A crash before the first
 * rename leaves the old `dir` untouched (plus a temp dir that the next write removes); a crash
 * between the two renames leaves the old version at backupPath(dir), which recoverSwap (run by
 * every reader and writer) moves back. `onStep` lets tests stop a writer at each point.
 */
export function writeDirAtomic(dir: string, fill: (tmp: string) => void, onStep?: (s: WriteStep) => void): void {
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true });
  recoverSwap(dir);
  removeDeadTemps(dir);
  const tmp = join(parent, `.${basename(dir)}.intentops-tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  try {
    fill(tmp);
    fsyncDir(tmp);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  onStep?.('files-written');
  const prev = backupPath(dir);
  const hadOld = existsSync(dir);
  if (hadOld) {
    renameSync(dir, prev);
    onStep?.('old-moved-aside');
  }
  renameSync(tmp, dir);
  fsyncDir(parent);
  onStep?.('new-in-place');
  if (hadOld) rmSync(prev, { recursive: true, force: true });
}
