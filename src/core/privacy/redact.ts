import { IntentOpsError } from '../errors.js';
import { Claims, findCards, findEmails, findIbans, findPhones } from './detectors.js';

/*
 * PII redaction before anything about a message is stored: e-mail addresses, phone numbers,
 * IBANs and payment card numbers are replaced by `[EMAIL]`, `[PHONE]`, `[IBAN]` and `[CARD]`,
 * and extra patterns from the configuration by `[<NAME>]`. Pure: no I/O, no clock.
 */

export const BUILT_IN_KINDS = Object.freeze(['email', 'iban', 'card', 'phone'] as const);
export type BuiltInKind = (typeof BUILT_IN_KINDS)[number];

/** An extra pattern (events.redact.patterns): matches are replaced by `[NAME]` (upper-cased). */
export interface RedactionPattern {
  readonly name: string;
  /** A JavaScript regular expression (source, without slashes). */
  readonly regex: string;
  /** Extra flags among `i`, `m`, `s` (`g` and `u` are always on). */
  readonly flags?: string;
}

export interface Redaction {
  readonly text: string;
  /** Replacements by kind (`email`, `phone`, `iban`, `card`, or a pattern's name); kinds with none are absent. */
  readonly counts: Readonly<Record<string, number>>;
  readonly total: number;
}

export type Redactor = (text: string) => Redaction;

const BUILT_INS: readonly [BuiltInKind, (text: string, claims: Claims) => void][] = [
  // e-mail first (addresses hold digits); IBANs before cards and phones (they hold both shapes)
  ['email', findEmails],
  ['iban', findIbans],
  ['card', findCards],
  ['phone', findPhones],
];

const NAME = /^[A-Za-z][A-Za-z0-9_]{0,31}$/;
const FLAGS = /^[ims]*$/;

interface Compiled {
  readonly name: string;
  readonly regex: RegExp;
}

/** Checks and compiles the extra patterns; errors name the field (`<where>.<i>.regex`). */
export function compilePatterns(patterns: readonly RedactionPattern[], where = 'events.redact.patterns'): Compiled[] {
  const seen = new Set<string>(BUILT_IN_KINDS);
  return patterns.map((p, i) => {
    const field = `${where}.${i}`;
    if (typeof p?.name !== 'string' || !NAME.test(p.name)) {
      throw new IntentOpsError('invalid_config', `pattern name ${JSON.stringify(p?.name)} must be 1–32 letters, digits or _, starting with a letter`, { where: `${field}.name`, hint: 'e.g. name: customer_id (replaced by [CUSTOMER_ID])' });
    }
    const name = p.name.toLowerCase();
    if (seen.has(name)) {
      throw new IntentOpsError('invalid_config', `pattern name ${JSON.stringify(p.name)} is ${BUILT_IN_KINDS.includes(name as BuiltInKind) ? 'a built-in kind' : 'used twice'}`, { where: `${field}.name`, hint: `choose a name other than ${[...seen].join(', ')}` });
    }
    seen.add(name);
    const flags = p.flags ?? '';
    if (!FLAGS.test(flags)) throw new IntentOpsError('invalid_config', `flags ${JSON.stringify(flags)} may only hold i, m and s`, { where: `${field}.flags`, hint: 'g and u are always on' });
    let regex: RegExp;
    try {
      regex = new RegExp(p.regex, `gu${[...new Set(flags)].join('')}`);
    } catch (e) {
      throw new IntentOpsError('invalid_config', `regex ${JSON.stringify(p.regex)} does not compile: ${(e as Error).message}`, { where: `${field}.regex`, hint: 'write a JavaScript regular expression without the surrounding slashes; escape \\ as \\\\ in YAML double quotes' });
    }
    if (new RegExp(regex.source, regex.flags.replace('g', '')).test('')) {
      throw new IntentOpsError('invalid_config', `regex ${JSON.stringify(p.regex)} matches the empty string`, { where: `${field}.regex`, hint: 'make it match at least one character (e.g. + instead of *)' });
    }
    return { name, regex };
  });
}

/**
 * A redactor with the built-in detectors and the given extra patterns, which run after them on
 * what they left. Invalid patterns fail here, at start-up, with the config field named.
 *
 * @example
 * const redact = createRedactor([{ name: 'customer_id', regex: 'KD-\\d{6}' }]);
 * redact('KD-123456, mail: max@example.com').text; // '[CUSTOMER_ID], mail: [EMAIL]'
 */
export function createRedactor(patterns: readonly RedactionPattern[] = [], where?: string): Redactor {
  const extra = compilePatterns(patterns, where);
  return (text: string): Redaction => {
    const claims = new Claims();
    for (const [, find] of BUILT_INS) find(text, claims);
    for (const { name, regex } of extra) {
      for (const m of text.matchAll(regex)) {
        const end = m.index + m[0].length;
        if (end > m.index && !claims.overlaps(m.index, end)) claims.redact(m.index, end, name);
      }
    }
    return render(text, claims);
  };
}

function render(text: string, claims: Claims): Redaction {
  const spans = [...claims.redacted].sort((a, b) => a.start - b.start);
  const counts: Record<string, number> = {};
  let out = '';
  let at = 0;
  for (const s of spans) {
    out += `${text.slice(at, s.start)}[${s.kind.toUpperCase()}]`;
    at = s.end;
    counts[s.kind] = (counts[s.kind] ?? 0) + 1;
  }
  return { text: out + text.slice(at), counts, total: spans.length };
}

const builtInOnly = createRedactor();

/** Redacts with the built-in detectors only. */
export function redact(text: string): Redaction {
  return builtInOnly(text);
}
