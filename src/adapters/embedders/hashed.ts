import type { Embedding, SparseVector } from '../../core/types.js';
import type { EmbedderFactory, EmbedderState, FittableEmbedder, PersistableEmbedder, Progress } from '../../ports/embedder.js';
import { IntentOpsError } from '../../core/errors.js';
import { FeatureCounter } from './hashed-counter.js';
import type { HashedFeatureOptions } from './hashed-features.js';

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

const SLAB_BYTES = 1 << 16;

class HashedEmbedder implements FittableEmbedder, PersistableEmbedder {
  readonly name = 'hashed';
  readonly dim: number;
  readonly featureDim: number;
  private idf: Float32Array;
  private readonly counter: FeatureCounter;
  private slab = new ArrayBuffer(0);
  private slabUsed = 0;

  constructor(readonly options: HashedOptions, idf?: Float32Array) {
    this.dim = options.denseDim;
    this.featureDim = 2 << options.bits;
    this.idf = idf ?? new Float32Array(this.featureDim).fill(1);
    this.counter = new FeatureCounter(options);
  }

  async fit(texts: readonly string[]): Promise<void> {
    const df = new Float64Array(this.featureDim);
    const c = this.counter;
    for (const t of texts) {
      c.run(t);
      for (let i = 0; i < c.nWords; i++) df[c.key(c.words[i])]++;
      for (let i = 0; i < c.nChars; i++) df[c.key(c.chars[i])]++;
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
    const c = this.counter;
    c.run(text);
    const n = c.nWords + c.nChars;
    const at = this.reserve(8 * n);
    const indices = new Int32Array(this.slab, at, n);
    const values = new Float32Array(this.slab, at + 4 * n, n);
    const ww = this.options.wordWeight;
    const wc = Math.sqrt(Math.max(0, 1 - ww * ww));
    this.block(c.words, c.nWords, indices, values, 0, ww);
    this.block(c.chars, c.nChars, indices, values, c.nWords, wc);
    return new HashedEmbedding({ indices, values }, this);
  }

  /** The dense projection of one of this embedder's sparse vectors (in a slab, like the vector). */
  denseOf(v: SparseVector): Float32Array {
    const at = this.reserve(4 * this.dim); // first: it may switch to a new slab
    return project(v, this.dim, new Float32Array(this.slab, at, this.dim));
  }

  /**
   * Byte offset of `bytes` free bytes in `slab`. Embeddings are views into shared 64 KiB slabs:
   * a typed array with its own ArrayBuffer costs ~0.5 µs to allocate, a view into a slab ~0.05 µs.
   */
  private reserve(bytes: number): number {
    if (this.slabUsed + bytes > this.slab.byteLength) {
      this.slab = new ArrayBuffer(Math.max(SLAB_BYTES, bytes));
      this.slabUsed = 0;
    }
    const at = this.slabUsed;
    this.slabUsed += bytes;
    return at;
  }

  state(): EmbedderState {
    return { name: this.name, config: { ...this.options }, arrays: { idf: this.idf } };
  }

  /** Writes one block's sublinear-tf·idf values, L2-normalised and scaled by `weight`. */
  private block(list: Int32Array, len: number, idx: Int32Array, val: Float32Array, start: number, weight: number): void {
    const c = this.counter;
    const idf = this.idf;
    let ss = 0;
    for (let i = 0; i < len; i++) {
      const k = c.key(list[i]);
      const n = c.count(list[i]);
      const v = (n === 1 ? 1 : 1 + Math.log(n)) * idf[k];
      idx[start + i] = k;
      val[start + i] = v;
      ss += v * v;
    }
    const s = ss > 0 ? weight / Math.sqrt(ss) : 0;
    for (let i = start; i < start + len; i++) val[i] *= s;
  }
}

/**
 * An embedding whose dense projection is computed on first access: the classifier only needs
 * `sparse`, and serving searches the vector index for a minority of messages.
 */
class HashedEmbedding implements Embedding {
  private projected: Float32Array | undefined;
  constructor(
    readonly sparse: SparseVector,
    private readonly embedder: HashedEmbedder,
  ) {}
  get dense(): Float32Array {
    return (this.projected ??= this.embedder.denseOf(this.sparse));
  }
}

/** Sign-hashed projection of a sparse vector into `d` slots, L2-normalised (`out` must be zeros). */
export function project(v: SparseVector, d: number, out = new Float32Array(d)): Float32Array {
  const { indices, values } = v;
  // a mask instead of an integer division when d is a power of two (the same slot), and the
  // sign as a factor, not a branch that mispredicts half the time
  const mask = (d & (d - 1)) === 0 ? d - 1 : -1;
  for (let i = 0; i < indices.length; i++) {
    const h = Math.imul(indices[i] + 1, 0x9e3779b1);
    out[mask >= 0 ? (h >>> 7) & mask : (h >>> 7) % d] += values[i] * (1 - 2 * (h >>> 31));
  }
  let ss = 0;
  for (let i = 0; i < d; i++) ss += out[i] * out[i];
  if (ss > 0) {
    const s = 1 / Math.sqrt(ss);
    for (let i = 0; i < d; i++) out[i] *= s;
  }
  return out;
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
