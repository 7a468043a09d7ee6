import { describe, expect, it } from 'vitest';
import { IntentOpsError } from '../errors.js';
import { compilePatterns, createRedactor, ibanValid, isPhoneNumber, luhnValid, redact } from './index.js';

/** The text after redaction. */
const r = (text: string) => redact(text).text;

describe('e-mail addresses', () => {
  it.each([
    ['Please write to max.mustermann@example.com.', 'Please write to [EMAIL].'],
    ['Schreiben Sie an jürgen.müller@beispiel.de oder support+tickets@firma.co.uk!', 'Schreiben Sie an [EMAIL] oder [EMAIL]!'],
    ['(anna_99@mail-server.org)', '([EMAIL])'],
  ])('%s', (text, want) => expect(r(text)).toBe(want));

  it('leaves @-mentions, handles and version strings alone', () => {
    for (const text of ['ping @support about it', 'user@localhost', 'ich@home heute', 'v1.2.3@beta']) expect(r(text)).toBe(text);
  });
});

describe('phone numbers', () => {
  it.each([
    // international
    ['Ruf mich an: +49 30 1234567', 'Ruf mich an: [PHONE]'],
    ['Mobil +4915123456789.', 'Mobil [PHONE].'],
    ['Handy: +49 (0)151 2345 6789', 'Handy: [PHONE]'],
    ['unter 0049 30 1234567 erreichbar', 'unter [PHONE] erreichbar'],
    ['call +44 20 7946 0958 today', 'call [PHONE] today'],
    ['or +44 (0)20 7946 0958', 'or [PHONE]'],
    ['US office +1 555 123 4567', 'US office [PHONE]'],
    ['US office +1 (555) 123-4567', 'US office [PHONE]'],
    // German national
    ['Tel. 030 1234567', 'Tel. [PHONE]'],
    ['Tel.: (030) 123 45 67', 'Tel.: [PHONE]'],
    ['Fax 030/1234567 oder 030-1234567', 'Fax [PHONE] oder [PHONE]'],
    ['mobil 0151 23456789, abends 0151-234 567 89', 'mobil [PHONE], abends [PHONE]'],
    ['meine Nummer ist 01511234567', 'meine Nummer ist [PHONE]'],
    // British national
    ['ring 020 7946 0958 or 07700 900123', 'ring [PHONE] or [PHONE]'],
    ['Manchester (0161) 496 0000', 'Manchester [PHONE]'],
    // North American
    ['my number is (555) 123-4567', 'my number is [PHONE]'],
    ['call 555-123-4567 or 555.123.4567', 'call [PHONE] or [PHONE]'],
  ])('%s', (text, want) => expect(r(text)).toBe(want));

  it('finds a number after an unrelated number in the same run', () => {
    expect(r('Zimmer 12 030 1234567')).toBe('Zimmer 12 [PHONE]');
  });

  it.each([
    'Bestellung 12345678 vom 12.03.2024',
    'order #4711-2023 placed on 2024-03-12',
    'Rechnung über 1.234,56 € (netto 1.037,45 €)',
    'invoice total $1,234.56 due 03/12/2024',
    'Lieferadresse: Hauptstr. 5, 10115 Berlin',
    'postcode SW1A 1AA, London',
    'Termin am 01.03.2024 um 14:30',
    'Kundennummer 987654321',
    'Tracking 1Z999AA10123456784',
    'Betrag 12 345,67 EUR',
    'PLZ 01067 Dresden',
    'order 123456789012 shipped',
  ])('leaves %s alone', (text) => expect(r(text)).toBe(text));

  it('isPhoneNumber judges a whole span', () => {
    expect(isPhoneNumber('+49 30 1234567', 3)).toBe(true);
    expect(isPhoneNumber('+49 30', 2)).toBe(false); // too short
    expect(isPhoneNumber('+49 30 1234567 1234567', 4)).toBe(false); // over 15 digits
    expect(isPhoneNumber('01.03.2024', 3)).toBe(false);
    expect(isPhoneNumber('0301234567', 1)).toBe(true);
    expect(isPhoneNumber('12345678', 1)).toBe(false);
  });
});

describe('IBANs', () => {
  it.each([
    ['IBAN: DE89 3704 0044 0532 0130 00, danke', 'IBAN: [IBAN], danke'],
    ['meine iban ist de89370400440532013000.', 'meine iban ist [IBAN].'],
    ['UK account GB29 NWBK 6016 1331 9268 19 please', 'UK account [IBAN] please'],
    ['GB29NWBK60161331926819', '[IBAN]'],
    ['FR14 2004 1010 0505 0001 3M02 606', '[IBAN]'],
    ['NL91ABNA0417164300 / AT61 1904 3002 3457 3201 / CH93 0076 2011 6238 5295 7', '[IBAN] / [IBAN] / [IBAN]'],
    ['DE89 3704 0044 0532 0130 00 2024', '[IBAN] 2024'],
  ])('%s', (text, want) => expect(r(text)).toBe(want));

  it.each([
    'falsche Prüfziffer: DE88 3704 0044 0532 0130 00',
    'GB28 NWBK 6016 1331 9268 19',
    'DE89 3704 0044 0532 0130', // too short for DE
    'XX89 3704 0044 0532 0130 00', // no such country
  ])('leaves %s alone (and no card or phone is found inside)', (text) => expect(redact(text)).toEqual({ text, counts: {}, total: 0 }));

  it('ibanValid checks the country length and mod 97', () => {
    expect(ibanValid('DE89370400440532013000')).toBe(true);
    expect(ibanValid('DE8937040044053201300')).toBe(false);
    expect(ibanValid('DE88370400440532013000')).toBe(false);
    expect(ibanValid('de89370400440532013000')).toBe(false); // callers upper-case first
  });
});

describe('payment card numbers', () => {
  it.each([
    ['Karte 4111 1111 1111 1111, gültig bis 12/27', 'Karte [CARD], gültig bis 12/27'],
    ['card 5555-5555-5555-4444', 'card [CARD]'],
    ['amex 3782 822463 10005', 'amex [CARD]'],
    ['visa 4012888888881881 thanks', 'visa [CARD] thanks'],
    ['Kundennr 12 4111 1111 1111 1111', 'Kundennr 12 [CARD]'],
  ])('%s', (text, want) => expect(r(text)).toBe(want));

  it.each([
    'Bestellnummer 4111 1111 1111 1112', // 16 digits failing Luhn
    'ref 9780306406157',
    'Auftrag 123456789012', // 12 digits
    'Summe 4111111111111111,00 €', // an amount, not a card
  ])('leaves %s alone', (text) => expect(r(text)).toBe(text));

  it('luhnValid', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(luhnValid('79927398713')).toBe(true);
    expect(luhnValid('4111 1111')).toBe(false);
  });
});

describe('several kinds in one message', () => {
  it('replaces each and counts them by kind', () => {
    const text = 'Hallo, ich bin max@example.com, Tel. +49 30 1234567 oder 0151 23456789. IBAN DE89 3704 0044 0532 0130 00, Karte 4111 1111 1111 1111. Bestellung 12345678 über 1.234,56 €.';
    expect(redact(text)).toEqual({
      text: 'Hallo, ich bin [EMAIL], Tel. [PHONE] oder [PHONE]. IBAN [IBAN], Karte [CARD]. Bestellung 12345678 über 1.234,56 €.',
      counts: { email: 1, phone: 2, iban: 1, card: 1 },
      total: 5,
    });
  });

  it('is idempotent: redacted text has nothing left to redact', () => {
    const once = r('mail a@b.de, call 030 1234567, pay DE89370400440532013000');
    expect(redact(once)).toEqual({ text: once, counts: {}, total: 0 });
  });

  it('stays fast on hostile input (no catastrophic backtracking)', () => {
    for (const text of ['1 '.repeat(2500), '1-'.repeat(2500), 'x@' + 'ab.'.repeat(1600) + '1', '(030) '.repeat(800)]) expect(redact(text).text.length).toBeGreaterThan(0);
  });
});

describe('extra patterns from the configuration', () => {
  it('replace their matches by [NAME] after the built-ins', () => {
    const redactor = createRedactor([
      { name: 'customer_id', regex: 'KD-\\d{6}' },
      { name: 'contract', regex: 'vertrag\\s+\\d+', flags: 'i' },
    ]);
    expect(redactor('KD-123456 hat Vertrag 998877, mail a@b.de')).toEqual({
      text: '[CUSTOMER_ID] hat [CONTRACT], mail [EMAIL]',
      counts: { email: 1, customer_id: 1, contract: 1 },
      total: 3,
    });
  });

  it('never re-redact what a built-in already replaced', () => {
    const redactor = createRedactor([{ name: 'digits', regex: '\\d{4,}' }]);
    expect(redactor('030 1234567 und 998877').text).toBe('[PHONE] und [DIGITS]');
  });

  const fail = (patterns: { name: string; regex: string; flags?: string }[]) => {
    try {
      compilePatterns(patterns);
    } catch (e) {
      expect(e).toBeInstanceOf(IntentOpsError);
      return e as IntentOpsError;
    }
    throw new Error('expected compilePatterns to fail');
  };

  it('a regex that does not compile fails naming the config field', () => {
    const e = fail([{ name: 'ok', regex: 'a+' }, { name: 'broken', regex: 'KD-(\\d+' }]);
    expect(e.code).toBe('invalid_config');
    expect(e.where).toBe('events.redact.patterns.1.regex');
    expect(e.message).toMatch(/"KD-\(\\\\d\+" does not compile/);
  });

  it('rejects empty-matching regexes, bad or duplicate names and unknown flags', () => {
    expect(fail([{ name: 'x', regex: '\\d*' }]).message).toMatch(/matches the empty string/);
    expect(fail([{ name: '1abc', regex: 'a' }]).where).toBe('events.redact.patterns.0.name');
    expect(fail([{ name: 'email', regex: 'a' }]).message).toMatch(/built-in/);
    expect(fail([{ name: 'a', regex: 'a' }, { name: 'A', regex: 'b' }]).message).toMatch(/used twice/);
    expect(fail([{ name: 'a', regex: 'a', flags: 'y' }]).where).toBe('events.redact.patterns.0.flags');
  });
});
