/**
 * Bytes → text without ever throwing on bad encoding: invalid UTF-8 is replaced by U+FFFD in the
 * text and its position recorded per line, so readers can flag the affected records instead of
 * failing the whole file (or, worse, silently training on mojibake).
 *
 * Lines are counted the way editors do: `\r\n`, `\n` and a lone `\r` each end one line.
 */

export interface Decoded {
  /** The text with a leading BOM removed and invalid sequences replaced by U+FFFD. */
  readonly text: string;
  /** 1-based line → 1-based byte column of the first invalid sequence on that line. */
  readonly badLines: ReadonlyMap<number, number>;
}

export function decodeUtf8(bytes: Uint8Array): Decoded {
  const text = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false }).decode(bytes);
  return { text, badLines: findInvalidUtf8(bytes) };
}

/** Positions of invalid UTF-8 sequences (Unicode Table 3-7: no overlongs, surrogates or > U+10FFFF). */
export function findInvalidUtf8(bytes: Uint8Array): Map<number, number> {
  const bad = new Map<number, number>();
  let line = 1;
  let lineStart = 0;
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    if (b < 0x80) {
      if (b === 0x0a || b === 0x0d) {
        i += b === 0x0d && bytes[i + 1] === 0x0a ? 2 : 1;
        line++;
        lineStart = i;
      } else i++;
      continue;
    }
    const len = sequenceLength(bytes, i);
    if (len === 0) {
      if (!bad.has(line)) bad.set(line, i - lineStart + 1);
      i++;
    } else i += len;
  }
  return bad;
}

/** Length of the valid multi-byte sequence starting at `i`, or 0 if it is invalid. */
function sequenceLength(bytes: Uint8Array, i: number): number {
  const b = bytes[i];
  let len: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (b >= 0xc2 && b <= 0xdf) len = 2;
  else if (b >= 0xe0 && b <= 0xef) {
    len = 3;
    if (b === 0xe0) lo = 0xa0;
    if (b === 0xed) hi = 0x9f;
  } else if (b >= 0xf0 && b <= 0xf4) {
    len = 4;
    if (b === 0xf0) lo = 0x90;
    if (b === 0xf4) hi = 0x8f;
  } else return 0;
  if (i + len > bytes.length) return 0;
  const second = bytes[i + 1];
  if (second < lo || second > hi) return 0;
  for (let k = 2; k < len; k++) if ((bytes[i + k] & 0xc0) !== 0x80) return 0;
  return len;
}

const LINE_BREAK = /\r\n|\r|\n/g;

/** Number of line breaks in `s`, counted like `findInvalidUtf8` counts them. */
export function countLineBreaks(s: string): number {
  return s.match(LINE_BREAK)?.length ?? 0;
}

/** Maps a character offset of `text` to its 1-based line. */
export function lineLocator(text: string): (offset: number) => number {
  const starts = [0];
  for (const m of text.matchAll(LINE_BREAK)) starts.push(m.index + m[0].length);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

/** First bad spot among lines `from..to` (inclusive), for a record spanning those lines. */
export function firstBadIn(
  badLines: ReadonlyMap<number, number>,
  from: number,
  to: number,
): { line: number; column: number } | undefined {
  if (badLines.size === 0) return undefined;
  for (let line = from; line <= to; line++) {
    const column = badLines.get(line);
    if (column !== undefined) return { line, column };
  }
  return undefined;
}
