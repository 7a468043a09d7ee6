import { NearDuplicateIndex } from '../../core/review/near.js';
import type { NewReviewItem, ReviewItem, ReviewStore } from '../../ports/review-store.js';

/**
 * Paraphrases of one waiting review item become one item with a count ("I lost my card", "my
 * card is lost"): before a message is queued, its vector — the one the model classified it
 * from, so nothing is embedded twice — is compared with the open items this process queued
 * (per model version, as the store groups); at or above the threshold for the model's embedder it
 * is queued under that item's text, and the store counts it there as it counts a repeated text
 * (src/core/review/group.ts). The expected-value order, the API and the dashboard then see one
 * item with a count, exactly as for repeats.
 *
 * What is given up: the merged message's own wording is not kept in the review queue (the
 * item's first text is labelled and trained on, as for near-duplicate repeats). Before a match is
 * used, the item is read back (one primary-key read, at most readBackMs, skipped while the store
 * is known to be away) so a labelled or skipped item does not lend its text to a new one; an item
 * labelled between that read and the write can still do so.
 * Bounded: `capacity` items per model version, two versions.
 */
export interface ParaphraseOptions {
  /** Cosine similarity to join an item, by the served model's embedder name; undefined: no grouping for that embedder. */
  readonly minSimilarity: (embedder: string) => number | undefined;
  /** Open items held per model version (oldest out). Default 2,000. */
  readonly capacity?: number;
  /** False while the review store is known to be away: no read-back is tried (the message is queued under its own text). */
  readonly storeUp?: () => boolean;
  /** The read-back of a matched item waits at most this long (then the message keeps its own text). Default 250 ms. */
  readonly readBackMs?: number;
}

/** Measured on BANKING77 (bench/review-grouping.ts): the sentence encoder at 0.90 groups 24 % of the messages at 95–96 % precision; the hashed embedder peaks at 92 %, so it is not grouped. */
export function defaultParaphraseSimilarity(embedder: string): number | undefined {
  const parts = embedder.split('+');
  // the dense vector of a combination is its sentence encoder's (src/adapters/embedders/combined.ts)
  return parts.some((p) => p === 'onnx' || p === 'openai') ? 0.9 : undefined;
}

export interface ParaphraseStats {
  /** Messages queued under an item they paraphrase. */
  readonly merged: number;
  /** Matches not used: the item was no longer waiting. */
  readonly stale: number;
  readonly held: number;
}

export class ReviewParaphrases {
  private readonly byVersion = new Map<string, NearDuplicateIndex>();
  private merged = 0;
  private stale = 0;

  constructor(private readonly o: ParaphraseOptions) {}

  stats(): ParaphraseStats {
    let held = 0;
    for (const i of this.byVersion.values()) held += i.size;
    return { merged: this.merged, stale: this.stale, held };
  }

  private indexFor(key: string, dim: number, minSimilarity: number): NearDuplicateIndex {
    let i = this.byVersion.get(key);
    if (!i || i.dim !== dim || i.o.minSimilarity !== minSimilarity) {
      i = new NearDuplicateIndex(dim, { minSimilarity, capacity: this.o.capacity ?? 2000 });
      this.byVersion.delete(key);
      // the served version and the one before it (a rollout serves two)
      while (this.byVersion.size >= 2) this.byVersion.delete(this.byVersion.keys().next().value!);
      this.byVersion.set(key, i);
    }
    return i;
  }

  /** The matched item as stored now; 'late' when the store did not answer within readBackMs (or failed). */
  private async readBack(store: ReviewStore, id: string): Promise<ReviewItem | undefined | 'late'> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), this.o.readBackMs ?? 250)));
    try {
      return await Promise.race([store.get(id).catch((): 'late' => 'late'), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Queues `item` in `store`, under the text of an open item it paraphrases when there is one. */
  async add(store: ReviewStore, item: NewReviewItem, vector: Float32Array | undefined, embedder: string): Promise<ReviewItem> {
    const minSimilarity = this.o.minSimilarity(embedder);
    if (vector === undefined || minSimilarity === undefined) return store.add(item);
    const index = this.indexFor(`${item.model.name}@${item.model.version}`, vector.length, minSimilarity);
    const match = index.nearest(vector);
    let text = item.text;
    if (match && match.text !== item.text && (this.o.storeUp?.() ?? true)) {
      const waiting = await this.readBack(store, match.id);
      if (waiting === 'late') {
        // no answer in time: the message is queued as its own item, the match kept for later
      } else if (waiting && (waiting.state === 'open' || waiting.state === 'claimed')) text = waiting.text;
      else {
        index.remove(match.id);
        this.stale++;
      }
    }
    const added = await store.add(text === item.text ? item : { ...item, text });
    if (text !== item.text && added.id === match!.id) this.merged++;
    // a new item (or one written later from the spool) is a group others may join
    else if (!added.pending && !added.dropped && added.count === 1) index.add(added.id, added.text, vector);
    return added;
  }
}
