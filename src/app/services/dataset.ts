import { readRecords, type ReadOptions } from '../../lib/readers/index.js';
import { checkDataset, formatFindings, hasErrors, type CheckOptions, type CheckResult } from '../../core/dataset/index.js';
import { IntentOpsError } from '../../core/errors.js';

export type LoadOptions = ReadOptions & CheckOptions;

/** Reads a labelled file and validates it. Never throws on data problems: they are findings. */
export async function checkFile(path: string, opts: LoadOptions = {}): Promise<CheckResult & { format: string }> {
  const read = await readRecords(path, opts);
  return { ...checkDataset(read.rows, opts), format: read.format };
}

/**
 * Reads and validates a labelled file for training or evaluation; error findings (or warnings
 * under `strict`) stop with one error listing them, each with file:line and a fix.
 */
export async function loadExamples(path: string, opts: LoadOptions = {}): Promise<CheckResult> {
  const res = await checkFile(path, opts);
  if (hasErrors(res.findings)) {
    const errors = res.findings.filter((f) => f.severity === 'error');
    const lines = formatFindings(errors, { max: 20 });
    throw new IntentOpsError('invalid_input', `${path} has ${errors.length} data error(s):\n${lines.join('\n')}`, {
      where: path,
      hint: 'fix the rows listed above (see `intentops data check FILE` for the full report)',
    });
  }
  return res;
}
