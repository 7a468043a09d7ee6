import { CHAR_SEED, hashedFeatureSeeds, mix, WORD_RE, type HashedFeatureOptions } from './hashed-features.js';

const FNV_PRIME = 0x01000193;
const SPACE = 32;

/**
 * `countFeatures` (hashed-features.ts) without a Map or a string per token: the text's code units
 * go into a reused buffer (lower-cased, each token padded with spaces as `char_wb` wants), and the
 * counts into an open-addressing table on typed arrays that a generation stamp empties in O(1).
 * Same features, same counts, same order (first occurrence, words then chars) as the Map version,
 * so embeddings are bit-identical. Plain ASCII text (the common case) is tokenised by a scanner
 * equivalent to WORD_RE; other text goes through `normalize('NFKC')` and the regex.
 *
 * Not re-entrant: one counter per embedder, and a count's results are valid until the next count.
 */
export class FeatureCounter {
  private readonly bitsMask: number;
  private readonly charBase: number;
  // open-addressing table: slot -> feature key, count, and the generation that wrote it
  private keys = new Int32Array(1024);
  private counts = new Int32Array(1024);
  private gens = new Int32Array(1024);
  private mask = 1023;
  private shift = 22;
  private gen = 0;
  /** Table positions of the distinct word features, then of the char features, in first-seen order. */
  words = new Int32Array(256);
  chars = new Int32Array(512);
  nWords = 0;
  nChars = 0;
  // padded tokens: ' ' + lower-cased code units + ' ', back to back
  private buf = new Uint16Array(512);
  private tokStart = new Int32Array(128);
  private tokLen = new Int32Array(128);
  private nTok = 0;

  constructor(readonly options: HashedFeatureOptions) {
    this.bitsMask = (1 << options.bits) - 1;
    this.charBase = 1 << options.bits;
  }

  key(pos: number): number {
    return this.keys[pos];
  }
  count(pos: number): number {
    return this.counts[pos];
  }

  /** Counts the features of `text`; read them through `words` / `chars` (table positions), `key` and `count`. */
  run(text: string): void {
    if (++this.gen === 0x7fffffff) {
      this.gens.fill(0);
      this.gen = 1;
    }
    this.nWords = 0;
    this.nChars = 0;
    this.nTok = 0;
    if (!this.scanAscii(text)) this.scanUnicode(text);
    const { charMin, charMax, wordBigrams } = this.options;
    const seeds = hashedFeatureSeeds;
    const buf = this.buf;
    let prev = -1;
    for (let t = 0; t < this.nTok; t++) {
      const s = this.tokStart[t]; // the leading space
      const L = this.tokLen[t] + 2; // padded length
      let hw = seeds.word;
      for (let j = s + 1; j < s + L - 1; j++) hw = Math.imul(hw ^ buf[j], FNV_PRIME);
      hw >>>= 0;
      this.add(mix(hw) & this.bitsMask, false);
      if (wordBigrams && prev !== -1) this.add(mix((Math.imul(prev, 31) ^ hw ^ seeds.bigram) >>> 0) & this.bitsMask, false);
      prev = hw;
      // char n-grams of " tok ", extended one char at a time from each start position
      for (let i = 0; i + charMin <= L; i++) {
        let h = CHAR_SEED;
        const end = Math.min(L, i + charMax);
        for (let j = i; j < end; j++) {
          h = Math.imul(h ^ buf[s + j], FNV_PRIME);
          if (j - i + 1 >= charMin) this.add(this.charBase + (mix(h >>> 0) & this.bitsMask), true);
        }
      }
    }
  }

  private add(key: number, char: boolean): void {
    const keys = this.keys;
    const gens = this.gens;
    const g = this.gen;
    let h = Math.imul(key, 0x9e3779b1) >>> this.shift;
    while (gens[h] === g) {
      if (keys[h] === key) {
        this.counts[h]++;
        return;
      }
      h = (h + 1) & this.mask;
    }
    gens[h] = g;
    keys[h] = key;
    this.counts[h] = 1;
    if (char) {
      if (this.nChars === this.chars.length) this.chars = grow(this.chars);
      this.chars[this.nChars++] = h;
    } else {
      if (this.nWords === this.words.length) this.words = grow(this.words);
      this.words[this.nWords++] = h;
    }
    if ((this.nWords + this.nChars) * 2 > this.mask) this.rehash();
  }

  /** Doubles the table, keeping the first-seen order of the lists. */
  private rehash(): void {
    const { keys, counts } = this;
    const size = keys.length * 2;
    this.keys = new Int32Array(size);
    this.counts = new Int32Array(size);
    this.gens = new Int32Array(size);
    this.mask = size - 1;
    this.shift--;
    const g = this.gen;
    const move = (list: Int32Array, n: number) => {
      for (let i = 0; i < n; i++) {
        const key = keys[list[i]];
        let h = Math.imul(key, 0x9e3779b1) >>> this.shift;
        while (this.gens[h] === g) h = (h + 1) & this.mask;
        this.gens[h] = g;
        this.keys[h] = key;
        this.counts[h] = counts[list[i]];
        list[i] = h;
      }
    };
    move(this.words, this.nWords);
    move(this.chars, this.nChars);
  }

  private pushToken(start: number, len: number): void {
    if (this.nTok === this.tokStart.length) {
      this.tokStart = grow(this.tokStart);
      this.tokLen = grow(this.tokLen);
    }
    this.tokStart[this.nTok] = start;
    this.tokLen[this.nTok++] = len;
  }

  /**
   * WORD_RE on lower-cased ASCII: a run of [a-z0-9], then optionally an apostrophe followed by
   * one or more letters. Returns false (having counted nothing) when the text is not pure ASCII.
   */
  private scanAscii(text: string): boolean {
    const n = text.length;
    if (this.buf.length < 3 * n + 2) this.buf = new Uint16Array(3 * n + 2);
    const buf = this.buf;
    let w = 0;
    let i = 0;
    while (i < n) {
      let c = text.charCodeAt(i);
      if (c > 127) return false;
      if (!isAlnum(c)) {
        i++;
        continue;
      }
      const start = w;
      buf[w++] = SPACE;
      do {
        buf[w++] = c >= 65 && c <= 90 ? c + 32 : c;
        c = ++i < n ? text.charCodeAt(i) : 0;
      } while (isAlnum(c));
      if (c === 39 && i + 1 < n && isLetter(text.charCodeAt(i + 1))) {
        buf[w++] = 39;
        c = text.charCodeAt(++i);
        do {
          buf[w++] = c | 32;
          c = ++i < n ? text.charCodeAt(i) : 0;
        } while (isLetter(c));
      }
      if (c > 127) return false;
      buf[w++] = SPACE;
      this.pushToken(start, w - start - 2);
    }
    return true;
  }

  private scanUnicode(text: string): void {
    this.nTok = 0;
    const tokens = text.normalize('NFKC').toLowerCase().match(WORD_RE) ?? [];
    let total = 0;
    for (const t of tokens) total += t.length + 2;
    if (this.buf.length < total) this.buf = new Uint16Array(total);
    let w = 0;
    for (const t of tokens) {
      const start = w;
      this.buf[w++] = SPACE;
      for (let j = 0; j < t.length; j++) this.buf[w++] = t.charCodeAt(j);
      this.buf[w++] = SPACE;
      this.pushToken(start, t.length);
    }
  }
}

const isLetter = (c: number) => (c | 32) >= 97 && (c | 32) <= 122;
const isAlnum = (c: number) => isLetter(c) || (c >= 48 && c <= 57);

function grow(a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}
