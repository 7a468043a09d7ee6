import { renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { writeFileDurable } from '../../lib/durable-fs.js';
import { IntentOpsError } from '../../core/errors.js';

/** Writes a report file atomically (temp file, fsync, rename): readers never see half a report. */
export function writeReportFile(path: string, text: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
  try {
    writeFileDurable(tmp, text);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    const err = e as NodeJS.ErrnoException;
    throw new IntentOpsError(err.code === 'ENOENT' ? 'not_found' : 'invalid_input', `cannot write ${path}: ${err.message}`, { where: path, hint: 'check that the directory exists and is writable', cause: e });
  }
}
