import { dotRows, l2normalize } from '../vector/index.js';

/**
 * Paraphrase grouping of the review queue: "I lost my card" and "my card is lost" are one
 * review item when their embeddings (the served model's, already computed to classify the
 * message) are at least `minSimilarity` apart in cosine. A bounded exact index of the open items'
 * first texts: a new message takes the text of its nearest open item when it is close enough, so
 * the store (which groups by normalised text, group.ts) counts it on that item. Pure: no clock,
 * no I/O; eviction is first-in first-out once `capacity` items are held.
 *
 * @example
 *   const near = new NearDuplicateIndex(384, { minSimilarity: 0.85, capacity: 5000 });
 *   near.add('item-1', 'I lost my card', v1);
 *   near.nearest(v2); // { id: 'item-1', text: 'I lost my card', similarity: 0.91 } or undefined
 */
export interface NearMatch {
  readonly id: string;
  readonly text: string;
  readonly similarity: number;
}

export interface NearOptions {
  /** Cosine similarity a message needs to its nearest open item to join it. */
  readonly minSimilarity: number;
  /** Items held at most (oldest dropped first). */
  readonly capacity: number;
}

export class NearDuplicateIndex {
  private matrix: Float32Array;
  private ids: string[] = [];
  private texts: string[] = [];
  private readonly slot = new Map<string, number>();
  private readonly scores: Float32Array;
  /** Insertion order for eviction (ids; stale ones skipped). */
  private order: string[] = [];

  constructor(
    readonly dim: number,
    readonly o: NearOptions,
  ) {
    if (!(o.capacity >= 1)) throw new RangeError(`capacity must be at least 1, got ${o.capacity}`);
    this.matrix = new Float32Array(Math.min(o.capacity, 256) * dim);
    this.scores = new Float32Array(o.capacity);
  }

  get size(): number {
    return this.ids.length;
  }

  /** The held item closest to `v` at or above minSimilarity; undefined when none is. */
  nearest(v: Float32Array): NearMatch | undefined {
    if (this.ids.length === 0 || v.length !== this.dim) return undefined;
    const q = l2normalize(Float32Array.from(v));
    const out = this.scores.subarray(0, this.ids.length);
    dotRows(this.matrix, this.ids.length, q, out);
    let best = -1;
    let bestScore = this.o.minSimilarity;
    for (let i = 0; i < out.length; i++) {
      if (out[i] >= bestScore) {
        bestScore = out[i];
        best = i;
      }
    }
    return best < 0 ? undefined : { id: this.ids[best], text: this.texts[best], similarity: bestScore };
  }

  /** Holds item `id` (its first text and vector); a held id is left as it is. */
  add(id: string, text: string, v: Float32Array): void {
    if (this.slot.has(id) || v.length !== this.dim) return;
    while (this.ids.length >= this.o.capacity) this.remove(this.order.shift()!);
    const i = this.ids.length;
    if ((i + 1) * this.dim > this.matrix.length) {
      const grown = new Float32Array(Math.min(this.o.capacity, Math.max(i + 1, this.ids.length * 2)) * this.dim);
      grown.set(this.matrix);
      this.matrix = grown;
    }
    const row = this.matrix.subarray(i * this.dim, (i + 1) * this.dim);
    row.set(v);
    l2normalize(row);
    this.ids.push(id);
    this.texts.push(text);
    this.slot.set(id, i);
    this.order.push(id);
    if (this.order.length > 2 * this.o.capacity) this.order = this.order.filter((x) => this.slot.has(x));
  }

  /** Forgets item `id` (labelled, skipped or gone); the last row moves into its place. */
  remove(id: string | undefined): void {
    if (id === undefined) return;
    const i = this.slot.get(id);
    if (i === undefined) return;
    const last = this.ids.length - 1;
    if (i !== last) {
      this.matrix.copyWithin(i * this.dim, last * this.dim, (last + 1) * this.dim);
      this.ids[i] = this.ids[last];
      this.texts[i] = this.texts[last];
      this.slot.set(this.ids[i], i);
    }
    this.ids.pop();
    this.texts.pop();
    this.slot.delete(id);
  }

  has(id: string): boolean {
    return this.slot.has(id);
  }
}
