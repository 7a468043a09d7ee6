import type { RuleId, Severity } from './types.js';

/** Default severity and fix-it hint of every validation rule: one place to read them all. */
export const RULES: Readonly<Record<RuleId, { readonly severity: Severity; readonly hint: string }>> = Object.freeze({
  'invalid-utf8': {
    severity: 'error',
    hint: 're-save the file as UTF-8 (e.g. `iconv -f WINDOWS-1252 -t UTF-8 in.csv > out.csv`) or fix the bytes on that line',
  },
  'invalid-type': {
    severity: 'error',
    hint: 'text must be a string and label a string or number; check the column mapping and quoting',
  },
  'empty-text': {
    severity: 'error',
    hint: 'fill in the text or delete the row',
  },
  'missing-label': {
    severity: 'error',
    hint: 'add the intent label for this row or delete the row',
  },
  'text-too-long': {
    severity: 'error',
    hint: 'shorten the text to the part that carries the intent, or raise maxTextLength',
  },
  duplicate: {
    severity: 'warning',
    hint: 'delete the repeated row; duplicates inflate evaluation scores',
  },
  'near-duplicate': {
    severity: 'warning',
    hint: 'delete one of the rows or make them genuinely different examples',
  },
  conflict: {
    severity: 'error',
    hint: 'decide which label is right and fix or delete the other row(s); all copies are dropped until then',
  },
  'near-conflict': {
    severity: 'warning',
    hint: 'texts that differ only in case or punctuation carry different labels: decide which label is right; all copies are dropped until then',
  },
  'rare-label': {
    severity: 'warning',
    hint: 'add more examples for this label, merge it into a related label, or lower minExamplesPerLabel',
  },
  'too-few-labels': {
    severity: 'error',
    hint: 'a classifier needs at least 2 distinct labels; check the label column and add examples of other intents',
  },
});
