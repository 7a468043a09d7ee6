import type { Embedding, SparseVector } from '../../core/types.js';
import type { EmbedderFactory, EmbedderState, FittableEmbedder, PersistableEmbedder, Progress } from '../../ports/embedder.js';
import { IntentOpsError } from '../../core/errors.js';
import { countFeatures, type HashedFeatureOptions } from './hashed-features.js';

/**
 * The default embedder: no model files. Word 1–2-grams and char n-grams hashed into
 * 2 × 2^bits slots, sublinear TF × IDF (IDF learned by `fit`, stored in the bundle), each block
 * L2-normalised, blocks weighted and concatenated (unit norm overall).
 *
 * `sparse` carries the classifier features; `dense` is a sign-hashed projection of the same
 * features into `denseDim` slots (a random projection that preserves inner products in
 * expectation, Weinberger et al. 2009), used for nearest-neighbour search.
 *
 * @example
 *   const e = await hashedEmbedder.create({});
 *   await (e as FittableEmbedder).fit(['reset my password', 'card payment failed']);
 *   const [v] = await e.embed(['password reset']);
 */
export interface HashedOptions extends HashedFeatureOptions {
  readonly denseDim: number;
  /** Weight of the word block; the char block gets sqrt(1 - w²). */
  readonly wordWeight: number;
}

export const HASHED_DEFAULTS: HashedOptions = Object.freeze({
  bits: 17,
  charMin: 2,
  charMax: 5,
  wordBigrams: true,
  denseDim: 256,
  wordWeight: Math.SQRT1_2,
});

class HashedEmbedder implements FittableEmbedder, PersistableEmbedder {
  readonly name = 'hashed';
  readonly dim: number;
  readonly featureDim: number;
  private idf: Float32Array;
  private readonly words = new Map<number, number>();
  private readonly chars = new Map<number, number>();

  constructor(readonly options: HashedOptions, idf?: Float32Array) {
    this.dim = options.denseDim;
    this.featureDim = 2 << options.bits;
    this.idf = idf ?? new Float32Array(this.featureDim).fill(1);
  }

  async fit(texts: readonly string[]): Promise<void> {
    const df = new Float64Array(this.featureDim);
    for (const t of texts) {
      this.count(t);
      for (const k of this.words.keys()) df[k]++;
      for (const k of this.chars.keys()) df[k]++;
    }
    // scikit-learn's smooth idf: ln((1 + n) / (1 + df)) + 1
    const n = texts.length;
    const idf = new Float32Array(this.featureDim);
    for (let i = 0; i < idf.length; i++) idf[i] = Math.log((1 + n) / (1 + df[i])) + 1;
    this.idf = idf;
  }

  async embed(texts: readonly string[], onProgress?: Progress): Promise<Embedding[]> {
    const out: Embedding[] = new Array(texts.length);
    for (let i = 0; i < texts.length; i++) {
      out[i] = this.embedOne(texts[i]);
      if (onProgress && (i % 512 === 511 || i === texts.length - 1)) onProgress(i + 1, texts.length);
    }
    return out;
  }

  /** Synchronous path used on the serving hot path (no promise per message). */
  embedOne(text: string): Embedding {
    this.count(text);
    const nW = this.words.size;
    const n = nW + this.chars.size;
    const indices = new Int32Array(n);
    const values = new Float32Array(n);
    const ww = this.options.wordWeight;
    const wc = Math.sqrt(Math.max(0, 1 - ww * ww));
    let p = 0;
    p = this.block(this.words, indices, values, p, ww);
    this.block(this.chars, indices, values, p, wc);
    const sparse: SparseVector = { indices, values };
    return { sparse, dense: this.project(sparse) };
  }

  state(): EmbedderState {
    return { name: this.name, config: { ...this.options }, arrays: { idf: this.idf } };
  }

  private count(text: string): void {
    this.words.clear();
    this.chars.clear();
    countFeatures(text, this.options, this.words, this.chars);
  }

  /** Writes one block's sublinear-tf·idf values, L2-normalised and scaled by `weight`. */
  private block(m: Map<number, number>, idx: Int32Array, val: Float32Array, start: number, weight: number): number {
    let p = start;
    let ss = 0;
    for (const [k, c] of m) {
      const v = (1 + Math.log(c)) * this.idf[k];
      idx[p] = k;
      val[p] = v;
      ss += v * v;
      p++;
    }
    const s = ss > 0 ? weight / Math.sqrt(ss) : 0;
    for (let i = start; i < p; i++) val[i] *= s;
    return p;
  }

  private project(v: SparseVector): Float32Array {
    const d = this.dim;
    const out = new Float32Array(d);
    for (let i = 0; i < v.indices.length; i++) {
      const h = Math.imul(v.indices[i] + 1, 0x9e3779b1) >>> 0;
      const sign = h & 0x80000000 ? -1 : 1;
      out[(h >>> 7) % d] += sign * v.values[i];
    }
    let ss = 0;
    for (let i = 0; i < d; i++) ss += out[i] * out[i];
    if (ss > 0) {
      const s = 1 / Math.sqrt(ss);
      for (let i = 0; i < d; i++) out[i] *= s;
    }
    return out;
  }
}

function parseOptions(raw: Record<string, unknown>): HashedOptions {
  const o = { ...HASHED_DEFAULTS, ...raw } as HashedOptions;
  const int = (name: keyof HashedOptions, lo: number, hi: number) => {
    const v = o[name] as unknown;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
      throw new IntentOpsError('invalid_config', `hashed embedder option ${name} must be an integer in [${lo}, ${hi}], got ${JSON.stringify(v)}`, {
        where: `embedder.options.${name}`,
      });
    }
  };
  int('bits', 10, 22);
  int('charMin', 1, 8);
  int('charMax', o.charMin, 10);
  int('denseDim', 16, 4096);
  if (typeof o.wordWeight !== 'number' || !(o.wordWeight >= 0 && o.wordWeight <= 1)) {
    throw new IntentOpsError('invalid_config', 'hashed embedder option wordWeight must be a number in [0, 1]', { where: 'embedder.options.wordWeight' });
  }
  return {
    bits: o.bits,
    charMin: o.charMin,
    charMax: o.charMax,
    wordBigrams: Boolean(o.wordBigrams),
    denseDim: o.denseDim,
    wordWeight: o.wordWeight,
  };
}

export const hashedEmbedder: EmbedderFactory = Object.freeze({
  description: 'word 1–2-grams + char n-grams, hashed, TF-IDF (no model files; the default)',
  async create(options: Record<string, unknown>) {
    return new HashedEmbedder(parseOptions(options));
  },
  async restore(state: EmbedderState) {
    const opts = parseOptions(state.config);
    const idf = state.arrays.idf;
    if (!idf || idf.length !== 2 << opts.bits) {
      throw new IntentOpsError('corrupt', `hashed embedder state has ${idf?.length ?? 0} IDF weights, expected ${2 << opts.bits}`, {
        where: 'manifest.embedder',
        hint: 'retrain the model: the bundle does not match this version of the hashed embedder',
      });
    }
    return new HashedEmbedder(opts, idf);
  },
});

export type { HashedEmbedder };
