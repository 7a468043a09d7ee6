/**
 * Feature extraction for the `hashed` embedder: word 1–2-grams and character n-grams within
 * word boundaries (scikit-learn's `char_wb`), hashed with FNV-1a into a fixed number of slots.
 * Pure functions; the embedder (hashed.ts) adds IDF weighting and normalisation.
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** Namespaces keep a word, a bigram and a char n-gram with the same spelling in different slots. */
const NS_WORD = 0x9e3779b1;
const NS_BIGRAM = 0x85ebca77;
const NS_CHAR = 0xc2b2ae3d;

export const WORD_RE = /[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu;

/** FNV offset bases of the three namespaces (what `hashString` starts from). */
export const hashedFeatureSeeds = Object.freeze({
  word: (FNV_OFFSET ^ NS_WORD) >>> 0,
  bigram: NS_BIGRAM,
  char: (FNV_OFFSET ^ NS_CHAR) >>> 0,
});
export const CHAR_SEED = hashedFeatureSeeds.char;

export interface HashedFeatureOptions {
  /** log2 of the number of hash slots per block. */
  readonly bits: number;
  readonly charMin: number;
  readonly charMax: number;
  readonly wordBigrams: boolean;
}

/** Case-folds and tokenises: the same normalisation at training and serving time. */
export function tokenize(text: string): string[] {
  return text.normalize('NFKC').toLowerCase().match(WORD_RE) ?? [];
}

function hashString(seed: number, s: string): number {
  let h = (FNV_OFFSET ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME);
  }
  return h >>> 0;
}

/** Final avalanche (murmur3 fmix32) so low bits are usable as a slot index. */
export function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Raw term counts of one text, as two maps (word block, char block) from slot to count.
 * Slots of the char block are offset by 2^bits, so the two blocks never collide.
 * The reference definition: the embedder uses `FeatureCounter` (hashed-counter.ts), which
 * computes the same counts in the same order without Maps.
 */
export function countFeatures(text: string, o: HashedFeatureOptions, words: Map<number, number>, chars: Map<number, number>): void {
  const mask = (1 << o.bits) - 1;
  const charBase = 1 << o.bits;
  const tokens = tokenize(text);
  let prev = -1;
  for (let t = 0; t < tokens.length; t++) {
    const tok = tokens[t];
    const hw = hashString(NS_WORD, tok);
    const slot = mix(hw) & mask;
    words.set(slot, (words.get(slot) ?? 0) + 1);
    if (o.wordBigrams && prev !== -1) {
      const b = mix((Math.imul(prev, 31) ^ hw ^ NS_BIGRAM) >>> 0) & mask;
      words.set(b, (words.get(b) ?? 0) + 1);
    }
    prev = hw;
    // char n-grams of " tok ", extended one char at a time from each start position
    const padded = ` ${tok} `;
    const L = padded.length;
    for (let i = 0; i + o.charMin <= L; i++) {
      let h = (FNV_OFFSET ^ NS_CHAR) >>> 0;
      const end = Math.min(L, i + o.charMax);
      for (let j = i; j < end; j++) {
        h ^= padded.charCodeAt(j);
        h = Math.imul(h, FNV_PRIME);
        if (j - i + 1 >= o.charMin) {
          const c = charBase + (mix(h >>> 0) & mask);
          chars.set(c, (chars.get(c) ?? 0) + 1);
        }
      }
    }
  }
}
