/** One nearest neighbour: the stored item's position, its label id and cosine similarity. */
export interface Neighbour {
  readonly id: number;
  readonly label: number;
  readonly score: number;
}

/**
 * Nearest-neighbour search over L2-normalised dense vectors (cosine = dot product).
 * Items are added once at build time with an integer label; ids are insertion positions 0..n-1.
 */
export interface VectorIndex {
  readonly kind: string;
  readonly dim: number;
  readonly size: number;
  add(vectors: readonly Float32Array[], labels: ArrayLike<number>): void;
  search(query: Float32Array, k: number): Neighbour[];
  /** Serialise everything needed to restore the index (vectors, labels, graph). */
  toBytes(): Uint8Array;
}

export interface VectorIndexFactory {
  readonly description: string;
  create(dim: number, options?: Record<string, unknown>): VectorIndex;
  fromBytes(bytes: Uint8Array): VectorIndex;
}

/**
 * Searches of a read-only index that run off the caller's thread (serving): the same answers as
 * the index's own `search`, without holding up the caller's event loop.
 */
export interface BackgroundSearch {
  search(query: Float32Array, k: number): Promise<Neighbour[]>;
  /** Ends the thread; searches still waiting are rejected. Idempotent. */
  close(): Promise<void>;
}
