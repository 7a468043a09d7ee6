import type { Finding } from './types.js';

/**
 * Findings as `file:line: error[rule]: message (hint: ...)`, at most `max` of them (default 50),
 * followed by a line saying how many were left out.
 *
 * @example
 * console.error(formatFindings(findings, { max: 20 }).join('\n'));
 */
export function formatFindings(findings: readonly Finding[], opts: { readonly max?: number } = {}): string[] {
  const max = Math.max(0, opts.max ?? 50);
  const lines = findings.slice(0, max).map(formatFinding);
  const rest = findings.slice(max);
  if (rest.length > 0) {
    const errors = rest.filter((f) => f.severity === 'error').length;
    lines.push(`... and ${rest.length} more (${errors} error${errors === 1 ? '' : 's'}, ` +
      `${rest.length - errors} warning${rest.length - errors === 1 ? '' : 's'})`);
  }
  return lines;
}

export function formatFinding(f: Finding): string {
  const where = f.file === '' ? (f.line > 0 ? `line ${f.line}` : '') : f.line > 0 ? `${f.file}:${f.line}` : f.file;
  return `${where ? `${where}: ` : ''}${f.severity}[${f.rule}]: ${f.message} (hint: ${f.hint})`;
}
