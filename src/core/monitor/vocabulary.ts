/*
 * Out-of-vocabulary share: how many of a message's word tokens never occur in the training
 * texts. A rising share means new words (products, slang, another language) the model has no
 * weights for. The vocabulary is a Set of normalised tokens: a few thousand to a few hundred
 * thousand strings, cheap next to the model itself.
 */

/** Letters and digits, with an inner apostrophe kept ("don't"); the hashed embedder's word rule. */
const WORD_RE = /[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu;

/** Compatibility-normalised, case-folded word tokens. */
export function wordTokens(text: string): string[] {
  return text.normalize('NFKC').toLowerCase().match(WORD_RE) ?? [];
}

export class Vocabulary {
  private constructor(
    private readonly words: ReadonlySet<string>,
    /**
     * The share expected of held-out text: the mean, over training texts, of the share of their
     * tokens that occur in no other training text (leave-one-out). A text's own words are
     * always "known" to the full vocabulary, so the full vocabulary would expect 0.
     */
    readonly expectedOovShare: number,
  ) {}

  /**
   * @example
   *   const v = Vocabulary.fromTexts(['reset my password', 'card not arrived']);
   *   v.oovShare('reset my PIN'); // 1/3
   */
  static fromTexts(texts: Iterable<string>): Vocabulary {
    const docFreq = new Map<string, number>();
    const docs: string[][] = [];
    for (const t of texts) {
      const tokens = wordTokens(t);
      docs.push(tokens);
      for (const w of new Set(tokens)) docFreq.set(w, (docFreq.get(w) ?? 0) + 1);
    }
    let sum = 0;
    let n = 0;
    for (const tokens of docs) {
      if (!tokens.length) continue;
      let unseen = 0;
      for (const w of tokens) if (docFreq.get(w) === 1) unseen++;
      sum += unseen / tokens.length;
      n++;
    }
    return new Vocabulary(new Set(docFreq.keys()), n ? sum / n : 0);
  }

  get size(): number {
    return this.words.size;
  }

  has(token: string): boolean {
    return this.words.has(token);
  }

  /** Share of the text's word tokens not in the vocabulary; undefined for a text without word tokens. */
  oovShare(text: string): number | undefined {
    const tokens = wordTokens(text);
    if (!tokens.length) return undefined;
    let unseen = 0;
    for (const w of tokens) if (!this.words.has(w)) unseen++;
    return unseen / tokens.length;
  }
}
