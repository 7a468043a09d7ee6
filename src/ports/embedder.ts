import type { Embedding } from '../core/types.js';

export type Progress = (done: number, total: number) => void;

/** Turns texts into vectors. Adapters live in src/adapters/embedders, one file per backend. */
export interface Embedder {
  /** Registry name, e.g. `hashed`, `onnx`, `openai`. */
  readonly name: string;
  /** Length of `Embedding.dense`. */
  readonly dim: number;
  /** Dimension of the classifier features (`Embedding.sparse` when present, else `dim`). */
  readonly featureDim: number;
  embed(texts: readonly string[], onProgress?: Progress): Promise<Embedding[]>;
}

/** Optional ability: learns state from the training texts (e.g. IDF weights). */
export interface FittableEmbedder extends Embedder {
  fit(texts: readonly string[]): Promise<void>;
}

/**
 * What a bundle stores to rebuild an embedder: JSON-safe `config` (options and small fitted
 * state) plus named binary arrays (large fitted state, e.g. IDF weights).
 */
export interface EmbedderState {
  readonly name: string;
  readonly config: Record<string, unknown>;
  readonly arrays: Record<string, Float32Array>;
}

/** Optional ability: can be saved into a model bundle and restored from it. */
export interface PersistableEmbedder extends Embedder {
  state(): EmbedderState;
}

/** Options per backend name, e.g. `{ onnx: { modelDir } }`. */
export type EmbedderOptions = Record<string, Record<string, unknown>>;

/** Builds an embedder from options (training) or from a saved state (loading a bundle). */
export interface EmbedderFactory {
  readonly description: string;
  create(options: Record<string, unknown>): Promise<Embedder>;
  restore(state: EmbedderState, options?: Record<string, unknown>): Promise<Embedder>;
}
