import type { Embedding } from '../types.js';

/** Rows of classifier features in compressed sparse row form (dense rows are stored with all indices). */
export interface FeatureMatrix {
  readonly rows: number;
  readonly dim: number;
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
  readonly values: Float32Array;
}

/** Builds the classifier's input from embeddings: `sparse` when present, else `dense`. */
export function featureMatrix(embeddings: readonly Embedding[], dim: number): FeatureMatrix {
  let nnz = 0;
  for (const e of embeddings) nnz += e.sparse ? e.sparse.indices.length : e.dense.length;
  const indptr = new Int32Array(embeddings.length + 1);
  const indices = new Int32Array(nnz);
  const values = new Float32Array(nnz);
  let p = 0;
  embeddings.forEach((e, i) => {
    if (e.sparse) {
      indices.set(e.sparse.indices, p);
      values.set(e.sparse.values, p);
      p += e.sparse.indices.length;
    } else {
      for (let j = 0; j < e.dense.length; j++) indices[p + j] = j;
      values.set(e.dense, p);
      p += e.dense.length;
    }
    indptr[i + 1] = p;
  });
  return { rows: embeddings.length, dim, indptr, indices, values };
}

/** A subset of rows, in the given order. */
export function selectRows(m: FeatureMatrix, rows: ArrayLike<number>): FeatureMatrix {
  let nnz = 0;
  for (let i = 0; i < rows.length; i++) nnz += m.indptr[rows[i] + 1] - m.indptr[rows[i]];
  const indptr = new Int32Array(rows.length + 1);
  const indices = new Int32Array(nnz);
  const values = new Float32Array(nnz);
  let p = 0;
  for (let i = 0; i < rows.length; i++) {
    const a = m.indptr[rows[i]];
    const b = m.indptr[rows[i] + 1];
    indices.set(m.indices.subarray(a, b), p);
    values.set(m.values.subarray(a, b), p);
    p += b - a;
    indptr[i + 1] = p;
  }
  return { rows: rows.length, dim: m.dim, indptr, indices, values };
}
