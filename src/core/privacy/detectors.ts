import { IBAN_LENGTHS, ibanValid, luhnValid } from './checksums.js';

/*
 * The built-in detectors. Each one finds candidates with a cheap regex, then decides with the
 * rules of the format (check digits, phone number shapes) whether a candidate is really one,
 * so that order numbers, dates, amounts and postcodes stay readable. Detectors run in order on
 * the original text and claim character ranges; a later detector never touches a claimed range.
 */

/** Character ranges claimed so far: redacted (with a kind) or shielded (left as they are). */
export class Claims {
  readonly redacted: { start: number; end: number; kind: string }[] = [];
  private readonly taken: [number, number][] = [];

  overlaps(start: number, end: number): boolean {
    return this.taken.some(([s, e]) => start < e && s < end);
  }

  redact(start: number, end: number, kind: string): void {
    this.taken.push([start, end]);
    this.redacted.push({ start, end, kind });
  }

  /** Keeps a range out of every later detector without redacting it. */
  shield(start: number, end: number): void {
    this.taken.push([start, end]);
  }
}

const LETTER_OR_DIGIT = /[\p{L}\p{N}_]/u;

// --- e-mail ---

const EMAIL = /(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}(?![\p{L}\p{N}-])/gu;

export function findEmails(text: string, claims: Claims): void {
  for (const m of text.matchAll(EMAIL)) {
    const end = m.index + m[0].length;
    if (!claims.overlaps(m.index, end)) claims.redact(m.index, end, 'email');
  }
}

// --- IBAN ---

const IBAN_START = /(?<![\p{L}\p{N}_])[A-Za-z]{2}\d{2}/gu;
const IBAN_SEPARATORS = new Set([' ', '\u00a0', '-']);
const ALNUM = /[A-Za-z0-9]/;

/**
 * IBANs with or without group spaces, in any case. A candidate is read up to its country's
 * length and must pass mod 97. Anything else shaped like an IBAN (wrong checksum, wrong length,
 * unknown country) is shielded: left readable, and kept from the card and phone detectors,
 * which would otherwise redact pieces of it (`0044 0532 …` reads like a phone number).
 */
export function findIbans(text: string, claims: Claims): void {
  for (const m of text.matchAll(IBAN_START)) {
    const start = m.index;
    const end = ibanEnd(text, start, m[0]);
    if (end !== undefined && !claims.overlaps(start, end)) {
      claims.redact(start, end, 'iban');
      continue;
    }
    const shape = ibanShapeEnd(text, start);
    if (shape !== undefined && !claims.overlaps(start, shape)) claims.shield(start, shape);
  }
}

/** Where the valid IBAN starting at `start` ends, if there is one. */
function ibanEnd(text: string, start: number, head: string): number | undefined {
  const length = IBAN_LENGTHS[head.slice(0, 2).toUpperCase()];
  if (!length) return undefined;
  let compact = head.toUpperCase();
  let i = start + 4;
  let end = i;
  while (compact.length < length && i < text.length) {
    if (IBAN_SEPARATORS.has(text[i]) && ALNUM.test(text[i + 1] ?? '')) i++;
    if (!ALNUM.test(text[i])) break;
    compact += text[i].toUpperCase();
    end = ++i;
  }
  if (compact.length < length || LETTER_OR_DIGIT.test(text[end] ?? '')) return undefined;
  return ibanValid(compact) ? end : undefined;
}

/** A group of an IBAN-shaped run: holds a digit, or is at most four capitals (`NWBK`). */
const IBAN_GROUP = /^[ \u00a0-]?(?:[A-Za-z]*\d[A-Za-z0-9]*|[A-Z]{1,4})(?![A-Za-z0-9])/;

/** The end of an IBAN-shaped run of 15–34 characters (without separators) at `start`, if any. */
function ibanShapeEnd(text: string, start: number): number | undefined {
  let end = start + 4;
  let length = 4;
  for (let g = IBAN_GROUP.exec(text.slice(end, end + 40)); g && length < 34; g = IBAN_GROUP.exec(text.slice(end, end + 40))) {
    length += g[0].replace(/[ \u00a0-]/, '').length;
    end += g[0].length;
  }
  return length >= 15 && length <= 34 ? end : undefined;
}

// --- runs of digit groups (cards, phones) ---

interface Token {
  readonly start: number;
  readonly end: number;
  readonly digits: number;
}

/**
 * The tokens of a run, cut into segments wherever two tokens are not joined by an allowed gap.
 * A last token glued to a letter (`1234abc`) or followed by a decimal part (`12 345,67`) is
 * dropped: it is part of a word or an amount.
 */
function segments(text: string, run: { index: number; 0: string }, token: RegExp, gapOk: (gap: string, a: string, b: string) => boolean): Token[][] {
  const found = [...run[0].matchAll(token)].map((t) => ({ start: run.index + t.index, end: run.index + t.index + t[0].length, text: t[0] }));
  const after = text.slice(run.index + run[0].length, run.index + run[0].length + 2);
  if (found.length && (LETTER_OR_DIGIT.test(after[0] ?? '') || /^[.,]\d/.test(after))) found.pop();
  const out: Token[][] = [];
  let current: Token[] = [];
  found.forEach((t, k) => {
    const prev = found[k - 1];
    if (prev && !gapOk(text.slice(prev.end, t.start), prev.text, t.text)) {
      out.push(current);
      current = [];
    }
    current.push({ start: t.start, end: t.end, digits: t.text.replace(/\D/g, '').length });
  });
  out.push(current);
  return out.filter((s) => s.length);
}

/** Longest acceptable span starting at each token, left to right, never overlapping. */
function pickSpans(tokens: readonly Token[], maxTokens: number, maxDigits: number, accept: (from: Token, to: Token, count: number) => boolean): [Token, Token][] {
  const out: [Token, Token][] = [];
  for (let i = 0; i < tokens.length; ) {
    let last = i - 1;
    for (let j = i, digits = 0; j < tokens.length && j < i + maxTokens; j++) {
      digits += tokens[j].digits;
      if (digits > maxDigits) break;
      last = j;
    }
    let hit = -1;
    for (let j = last; j >= i && hit < 0; j--) if (accept(tokens[i], tokens[j], j - i + 1)) hit = j;
    if (hit >= 0) {
      out.push([tokens[i], tokens[hit]]);
      i = hit + 1;
    } else i++;
  }
  return out;
}

function findInRuns(text: string, claims: Claims, kind: string, run: RegExp, token: RegExp, gapOk: (gap: string, a: string, b: string) => boolean, maxTokens: number, maxDigits: number, isOne: (span: string, tokens: number) => boolean): void {
  for (const m of text.matchAll(run)) {
    for (const seg of segments(text, m, token, gapOk)) {
      const spans = pickSpans(seg, maxTokens, maxDigits, (a, b, n) => !claims.overlaps(a.start, b.end) && isOne(text.slice(a.start, b.end), n));
      for (const [a, b] of spans) claims.redact(a.start, b.end, kind);
    }
  }
}

// --- payment cards ---

/** Digits after a letter, `+`, `.`, `,`, `/` or `-` are the middle of something else. */
const CARD_RUN = /(?<![\p{L}\p{N}_+.,/-])\d(?:[\d \u00a0-]*\d)?/gu;
const DIGITS = /\d+/g;

/** 13–19 digits in groups joined by single spaces or dashes, starting 1–9, passing Luhn. */
export function findCards(text: string, claims: Claims): void {
  findInRuns(text, claims, 'card', CARD_RUN, DIGITS, (gap) => gap === ' ' || gap === '\u00a0' || gap === '-', 8, 19, (span) => {
    const digits = span.replace(/\D/g, '');
    return digits.length >= 13 && /^[1-9]/.test(digits) && luhnValid(digits);
  });
}

// --- phone numbers ---

const PHONE_RUN = /(?<![\p{L}\p{N}_+.,/-])[+(]?\d(?:[\d ()./\u00a0-]*[\d)])?/gu;
const PHONE_TOKEN = /\+?\d+|\(\d{1,5}\)/g;
const PHONE_GAP = /^[ \u00a0./-]$/;

/** `+49 30 1234567`, `0049 30 …`, `+44 20 7946 0958`, `+1 (555) 123-4567`, `+49 (0)151 2345 6789`. */
const INTERNATIONAL = /^(?:\+|00)[1-9]/;
/** `030 1234567`, `(030) 123 45 67`, `030/1234567`, `0151-234 567 89`, `020 7946 0958`: a trunk 0 and a 2–5 digit area code; no dots (dates). */
const NATIONAL = /^(?:\(0[1-9]\d{1,4}\)|0[1-9]\d{1,4})(?:[ \u00a0/-]?\d+)+$/;
/** `01511234567`: a national number written without any separator. */
const NATIONAL_BARE = /^0[1-9]\d{8,11}$/;
/** `(555) 123-4567`, `555-123-4567`, `555.123.4567`, `1 555 123 4567`. */
const NANP = /^(?:1[ .-]?)?(?:\([2-9]\d{2}\)[ \u00a0]?|[2-9]\d{2}[ .\u00a0-])\d{3}[ .\u00a0-]\d{4}$/;

export function isPhoneNumber(span: string, tokens: number): boolean {
  if (INTERNATIONAL.test(span)) {
    const rest = span.replace(/^(?:\+|00)/, '').replace(/\(0\)/, '');
    if (rest.includes('+')) return false;
    const digits = rest.replace(/\D/g, '').length;
    return digits >= 8 && digits <= 15;
  }
  const digits = span.replace(/\D/g, '').length;
  if (tokens === 1) return NATIONAL_BARE.test(span);
  if (NATIONAL.test(span)) return digits >= 9 && digits <= 13;
  return NANP.test(span);
}

/** Phone numbers in international, German, British and North American forms (see the shapes above). */
export function findPhones(text: string, claims: Claims): void {
  const gapOk = (gap: string, a: string, b: string) => PHONE_GAP.test(gap) || (gap === '' && (a.startsWith('(') || b.startsWith('(')));
  findInRuns(text, claims, 'phone', PHONE_RUN, PHONE_TOKEN, gapOk, 8, 17, isPhoneNumber);
}
