/** A sparse feature vector: parallel arrays of feature indices and values (indices unique). */
export interface SparseVector {
  readonly indices: Int32Array;
  readonly values: Float32Array;
}

/**
 * What an embedder produces for one text.
 * - `dense`: L2-normalised vector of length `Embedder.dim`, used by the vector index (nearest neighbours).
 * - `sparse`: optional classifier features of dimension `Embedder.featureDim`; when absent the
 *   classifier uses `dense` as its features.
 */
export interface Embedding {
  readonly dense: Float32Array;
  readonly sparse?: SparseVector;
}

/** One labelled example, as it reaches the core after import and validation. */
export interface LabelledText {
  readonly text: string;
  readonly label: string;
}
