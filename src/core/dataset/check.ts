import type { CheckOptions, CheckResult, Example, Finding, RawRow, RuleId } from './types.js';
import { RULES } from './rules.js';
import { codePointLength, nearKey, normaliseLabel, normaliseText } from './normalise.js';

const DEFAULT_MAX_TEXT_LENGTH = 5000;
const DEFAULT_MIN_EXAMPLES_PER_LABEL = 5;
const QUOTE_MAX = 60;

/** A row that passed the per-row rules, waiting for duplicate and conflict checks. */
interface Candidate extends Example {
  readonly key: string;
}

/**
 * Validate and curate raw rows: per-row rules, then duplicates and conflicts, then per-label rules.
 * Rows with errors, duplicates and every row of a conflicting text are left out of `examples`.
 *
 * @example
 * const { examples, findings } = checkDataset(rows, { minExamplesPerLabel: 10 });
 * if (hasErrors(findings)) console.error(formatFindings(findings).join('\n'));
 */
export function checkDataset(rows: readonly RawRow[], opts: CheckOptions = {}): CheckResult {
  const maxTextLength = opts.maxTextLength ?? DEFAULT_MAX_TEXT_LENGTH;
  const minPerLabel = opts.minExamplesPerLabel ?? DEFAULT_MIN_EXAMPLES_PER_LABEL;
  const findings: Finding[] = [];
  const add = (rule: RuleId, file: string, line: number, message: string): void => {
    const severity = opts.strict ? 'error' : RULES[rule].severity;
    findings.push({ severity, rule, file, line, message, hint: RULES[rule].hint });
  };

  const candidates: Candidate[] = [];
  for (const row of rows) {
    const c = checkRow(row, maxTextLength, add);
    if (c) candidates.push(c);
  }

  const { examples, duplicatesDropped, nearDuplicatesDropped, conflicts } = curate(candidates, add, opts.keepDuplicates ?? false);

  const counts = new Map<string, { count: number; first: Example }>();
  for (const ex of examples) {
    const entry = counts.get(ex.label);
    if (entry) entry.count++;
    else counts.set(ex.label, { count: 1, first: ex });
  }
  const labels = [...counts].map(([label, { count }]) => ({ label, count }));
  labels.sort((a, b) => b.count - a.count || compare(a.label, b.label));

  for (const { label, count } of [...labels].reverse()) {
    if (count >= minPerLabel) break;
    const first = counts.get(label)!.first;
    add('rare-label', first.file, first.line,
      `label ${quote(label)} has only ${count} example${count === 1 ? '' : 's'} (minimum ${minPerLabel})`);
  }
  if (labels.length < 2) {
    const files = [...new Set(rows.map((r) => r.file))];
    const names = labels.map((l) => quote(l.label)).join(', ');
    add('too-few-labels', files.length === 1 ? files[0] : '', 0,
      `found ${labels.length} distinct label${labels.length === 1 ? '' : 's'}${names ? ` (${names})` : ''} ` +
        `among ${examples.length} usable row${examples.length === 1 ? '' : 's'}; at least 2 are needed`);
  }

  sortFindings(findings, rows);
  const errors = findings.filter((f) => f.severity === 'error').length;
  return {
    examples,
    findings,
    report: {
      rows: rows.length,
      kept: examples.length,
      labels,
      duplicatesDropped,
      nearDuplicatesDropped,
      conflicts,
      errors,
      warnings: findings.length - errors,
    },
  };
}

/** True when any finding is an error: the dataset must not be used for training as is. */
export function hasErrors(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity === 'error');
}

type Add = (rule: RuleId, file: string, line: number, message: string) => void;

function checkRow(row: RawRow, maxTextLength: number, add: Add): Candidate | undefined {
  const { file, line } = row;
  if (row.invalidUtf8) {
    const bad = row.invalidUtf8;
    const where = bad.line === line ? '' : ` (on line ${bad.line} of this record)`;
    add('invalid-utf8', file, bad.line,
      `invalid UTF-8 byte sequence at byte column ${bad.column}${where}; the row is skipped`);
    return undefined;
  }
  let ok = true;
  let text = '';
  if (typeof row.text === 'string') {
    text = normaliseText(row.text);
    if (text === '') {
      add('empty-text', file, line, row.text === '' ? 'text is empty' : 'text contains only whitespace');
      ok = false;
    }
  } else if (row.text === undefined || row.text === null) {
    add('empty-text', file, line, 'text is missing');
    ok = false;
  } else {
    add('invalid-type', file, line, `text must be a string, got ${describeType(row.text)}`);
    ok = false;
  }

  let label = '';
  if (typeof row.label === 'string' || (typeof row.label === 'number' && Number.isFinite(row.label))) {
    label = normaliseLabel(String(row.label));
    if (label === '') {
      add('missing-label', file, line, 'label is empty');
      ok = false;
    }
  } else if (row.label === undefined || row.label === null) {
    add('missing-label', file, line, 'label is missing');
    ok = false;
  } else {
    add('invalid-type', file, line, `label must be a string or number, got ${describeType(row.label)}`);
    ok = false;
  }

  if (text !== '') {
    const length = codePointLength(text);
    if (length > maxTextLength) {
      add('text-too-long', file, line, `text is ${length} characters long (maximum ${maxTextLength})`);
      ok = false;
    }
  }
  return ok ? { text, label, file, line, key: nearKey(text) } : undefined;
}

/** Drop duplicates (keeping the first copy) and every row of a text seen under several labels. */
function curate(candidates: readonly Candidate[], add: Add, keepDuplicates: boolean) {
  const groups = new Map<string, Candidate[]>();
  for (const c of candidates) {
    const group = groups.get(c.key);
    if (group) group.push(c);
    else groups.set(c.key, [c]);
  }

  const dropped = new Set<Candidate>();
  let duplicatesDropped = 0;
  let nearDuplicatesDropped = 0;
  let conflicts = 0;
  for (const group of groups.values()) {
    const first = group[0];
    if (group.some((c) => c.label !== first.label)) {
      conflicts++;
      for (const c of group) {
        if (!keepDuplicates) dropped.add(c);
        if (c.label === first.label) continue;
        // the very same text under two labels is an error; texts that merely look alike
        // (case, punctuation) are a warning: public sets such as BANKING77 have a few
        const exact = c.text.toLowerCase() === first.text.toLowerCase();
        add(exact ? 'conflict' : 'near-conflict', c.file, c.line,
          `${quote(c.text)} is labelled ${quote(c.label)} here but ${quote(first.label)} at ${at(first, c)}` +
            (c.text === first.text ? '' : ` (${quote(first.text)})`) + '; all copies are dropped');
      }
      continue;
    }
    for (const c of group.slice(1)) {
      if (!keepDuplicates) dropped.add(c);
      const fate = keepDuplicates ? 'kept' : 'dropped';
      if (c.text === first.text) {
        if (!keepDuplicates) duplicatesDropped++;
        add('duplicate', c.file, c.line, `duplicate of ${at(first, c)} (${quote(c.text)}, label ${quote(c.label)}); ${fate}`);
      } else {
        if (!keepDuplicates) nearDuplicatesDropped++;
        add('near-duplicate', c.file, c.line,
          `near-duplicate of ${at(first, c)}: ${quote(c.text)} vs ${quote(first.text)} differ only in case, ` +
            `punctuation or spacing (label ${quote(c.label)}); ${fate}`);
      }
    }
  }
  const examples: Example[] = candidates
    .filter((c) => !dropped.has(c))
    .map(({ text, label, file, line }) => ({ text, label, file, line }));
  return { examples, duplicatesDropped, nearDuplicatesDropped, conflicts };
}

/** Findings in file order (as rows arrived), then line; whole-dataset findings (line 0) last. */
function sortFindings(findings: Finding[], rows: readonly RawRow[]): void {
  const fileOrder = new Map<string, number>();
  for (const r of rows) if (!fileOrder.has(r.file)) fileOrder.set(r.file, fileOrder.size);
  const rank = (f: Finding) => (f.line === 0 ? Number.MAX_SAFE_INTEGER : fileOrder.get(f.file) ?? 0);
  findings.sort((a, b) => rank(a) - rank(b) || a.line - b.line);
}

function at(target: Example, from: Example): string {
  return target.file === from.file ? `line ${target.line}` : `${target.file}:${target.line}`;
}

function quote(s: string): string {
  const short = s.length > QUOTE_MAX ? `${s.slice(0, QUOTE_MAX - 1)}…` : s;
  return JSON.stringify(short);
}

function describeType(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'number') return `a number (${v})`;
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
