import { IntentOpsError } from '../errors.js';

/** Anything indexable like a Float32Array; plain arrays work too. */
export type Vec = ArrayLike<number>;

function sameLength(a: Vec, b: Vec, fn: string): void {
  if (a.length !== b.length) {
    throw new IntentOpsError('invalid_input', `vector lengths differ (${a.length} vs ${b.length})`, {
      where: fn,
      hint: 'both vectors must come from the same embedder',
    });
  }
}

/** Dot product, accumulated in double precision. */
export function dot(a: Vec, b: Vec): number {
  sameLength(a, b, 'dot');
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Euclidean norm. */
export function norm(v: Vec): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

/**
 * Scales `v` to unit length in place and returns it. A zero vector stays zero: it has no
 * direction, and NaNs would poison every score computed from it.
 */
export function l2normalize<T extends Float32Array | Float64Array | number[]>(v: T): T {
  const n = norm(v);
  if (n === 0 || !Number.isFinite(n)) return v;
  const inv = 1 / n;
  for (let i = 0; i < v.length; i++) v[i] *= inv;
  return v;
}

/** Cosine similarity; 0 when either vector is zero. */
export function cosine(a: Vec, b: Vec): number {
  const d = dot(a, b);
  const na = norm(a);
  const nb = norm(b);
  return na === 0 || nb === 0 ? 0 : d / (na * nb);
}

/**
 * Dot product of `q` with each of the `rows` rows of a row-major matrix (rows × q.length),
 * written to `out`. The hot loop of exact search: no allocation, unrolled by four.
 */
export function dotRows<T extends Float32Array | Float64Array>(matrix: Float32Array, rows: number, q: Float32Array, out: T): T {
  const dim = q.length;
  const tail = dim & 3;
  const body = dim - tail;
  for (let r = 0, base = 0; r < rows; r++, base += dim) {
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    let i = 0;
    for (; i < body; i += 4) {
      s0 += matrix[base + i] * q[i];
      s1 += matrix[base + i + 1] * q[i + 1];
      s2 += matrix[base + i + 2] * q[i + 2];
      s3 += matrix[base + i + 3] * q[i + 3];
    }
    for (; i < dim; i++) s0 += matrix[base + i] * q[i];
    out[r] = s0 + s1 + s2 + s3;
  }
  return out;
}
