import { IntentOpsError } from '../../core/errors.js';

/**
 * Index of the wanted column among `names`: exact match first, then a unique case-insensitive one
 * (a "Text" header is almost always the "text" column). Throws naming the columns that do exist.
 */
export function resolveColumn(names: readonly string[], wanted: string, role: 'text' | 'label', where: string): number {
  const trimmed = names.map((n) => n.trim());
  const exact = trimmed.indexOf(wanted);
  if (exact >= 0) return exact;
  const folded = trimmed.map((n) => n.toLowerCase());
  const loose = folded.filter((n) => n === wanted.toLowerCase());
  if (loose.length === 1) return folded.indexOf(wanted.toLowerCase());
  throw missingColumn(trimmed, wanted, role, where);
}

export function missingColumn(existing: readonly string[], wanted: string, role: 'text' | 'label', where: string): IntentOpsError {
  const list = existing.length > 0 ? existing.map((n) => JSON.stringify(n)).join(', ') : '(none)';
  const flag = role === 'text' ? 'textCol' : 'labelCol';
  return new IntentOpsError('invalid_input', `no ${role} column ${JSON.stringify(wanted)}; the columns are: ${list}`, {
    where,
    hint: `set ${flag} to the column that holds the ${role}, or rename that column to ${JSON.stringify(wanted)}`,
  });
}
