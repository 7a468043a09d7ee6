/**
 * Text normalisation. `normaliseText` is what we keep and train on (case preserved: it can carry
 * meaning, e.g. "US" vs "us"); `nearKey` is only a comparison key for near-duplicate and conflict
 * detection, deliberately lossy.
 */

const WHITESPACE_RUN = /\s+/gu;
// Apostrophes vanish ("don't" ~ "dont"); other punctuation splits words ("hello,world" ~ "hello world").
const APOSTROPHES = /['\u2019\u02bc]/gu;
const PUNCTUATION = /\p{P}+/gu;

/** Unicode NFC, trimmed, internal whitespace runs collapsed to one space. */
export function normaliseText(text: string): string {
  return text.normalize('NFC').replace(WHITESPACE_RUN, ' ').trim();
}

/** Labels are identifiers: only surrounding whitespace is removed. */
export function normaliseLabel(label: string): string {
  return label.trim();
}

/** Aggressive key: compatibility-normalised, case-folded, punctuation removed, whitespace collapsed. */
export function nearKey(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(APOSTROPHES, '')
    .replace(PUNCTUATION, ' ')
    .replace(WHITESPACE_RUN, ' ')
    .trim();
}

/** Length in code points, so an emoji counts as one character rather than two UTF-16 units. */
export function codePointLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}
