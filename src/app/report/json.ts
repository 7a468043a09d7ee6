import type { ReportInput } from './types.js';

/**
 * The report as JSON: the evaluation report's fields at the top level (what `eval --json` always
 * printed), plus `comparison` and `gates` when given.
 */
export function renderJson(input: ReportInput): string {
  const { report, comparison, gates } = input;
  return JSON.stringify({ ...report, ...(comparison ? { comparison } : {}), ...(gates ? { gates } : {}) }, null, 2);
}
