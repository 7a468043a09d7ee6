import type { Embedding } from '../../core/types.js';
import type { Embedder, EmbedderState, PersistableEmbedder, Progress } from '../../ports/embedder.js';
import { IntentOpsError } from '../../core/errors.js';

/**
 * Two embedders side by side: the classifier sees the first one's features followed by the
 * second one's (each scaled by its weight), the vector index uses the second one's dense vector
 * (a sentence encoder finds better neighbours than hashed n-grams). E.g. `hashed+onnx`.
 */
export class CombinedEmbedder implements PersistableEmbedder {
  readonly name: string;
  readonly dim: number;
  readonly featureDim: number;

  constructor(
    readonly first: Embedder,
    readonly second: Embedder,
    readonly weights: readonly [number, number] = [Math.SQRT1_2, Math.SQRT1_2],
  ) {
    this.name = `${first.name}+${second.name}`;
    this.dim = second.dim;
    this.featureDim = first.featureDim + second.featureDim;
  }

  async embed(texts: readonly string[], onProgress?: Progress): Promise<Embedding[]> {
    const a = await this.first.embed(texts);
    const b = await this.second.embed(texts, onProgress);
    return a.map((ea, i) => this.join(ea, b[i]));
  }

  private join(a: Embedding, b: Embedding): Embedding {
    const [wa, wb] = this.weights;
    const fa = features(a);
    const fb = features(b);
    const indices = new Int32Array(fa.indices.length + fb.indices.length);
    const values = new Float32Array(indices.length);
    for (let i = 0; i < fa.indices.length; i++) {
      indices[i] = fa.indices[i];
      values[i] = wa * fa.values[i];
    }
    const off = fa.indices.length;
    const shift = this.first.featureDim;
    for (let i = 0; i < fb.indices.length; i++) {
      indices[off + i] = shift + fb.indices[i];
      values[off + i] = wb * fb.values[i];
    }
    return { dense: b.dense, sparse: { indices, values } };
  }

  state(): EmbedderState {
    const sa = stateOf(this.first);
    const sb = stateOf(this.second);
    const arrays: Record<string, Float32Array> = {};
    for (const [k, v] of Object.entries(sa.arrays)) arrays[`0.${k}`] = v;
    for (const [k, v] of Object.entries(sb.arrays)) arrays[`1.${k}`] = v;
    return { name: this.name, config: { weights: this.weights, parts: [{ name: sa.name, config: sa.config }, { name: sb.name, config: sb.config }] }, arrays };
  }
}

function features(e: Embedding): { indices: ArrayLike<number>; values: ArrayLike<number> } {
  if (e.sparse) return e.sparse;
  return { indices: Int32Array.from({ length: e.dense.length }, (_, i) => i), values: e.dense };
}

export function stateOf(e: Embedder): EmbedderState {
  const s = (e as Partial<PersistableEmbedder>).state?.();
  if (!s) throw new IntentOpsError('internal', `embedder ${e.name} cannot be saved into a bundle`);
  return s;
}

/** Splits a combined state back into its parts' states. */
export function splitState(state: EmbedderState): [EmbedderState, EmbedderState] {
  const parts = state.config.parts as { name: string; config: Record<string, unknown> }[] | undefined;
  if (!Array.isArray(parts) || parts.length !== 2) {
    throw new IntentOpsError('corrupt', `combined embedder state ${state.name} lacks its two parts`, { where: 'manifest.embedder.config.parts' });
  }
  const arraysOf = (p: string) =>
    Object.fromEntries(Object.entries(state.arrays).filter(([k]) => k.startsWith(p)).map(([k, v]) => [k.slice(p.length), v]));
  return [
    { name: parts[0].name, config: parts[0].config, arrays: arraysOf('0.') },
    { name: parts[1].name, config: parts[1].config, arrays: arraysOf('1.') },
  ];
}
