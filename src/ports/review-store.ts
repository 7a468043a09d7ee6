export type ReviewState = 'open' | 'claimed' | 'labelled' | 'skipped';
export type ReviewReason = 'low_confidence' | 'low_margin' | 'knn_disagrees' | 'llm_failed' | 'llm_none' | 'llm_budget' | 'llm_timeout' | 'out_of_scope' | 'unfamiliar' | 'audit' | 'llm_check';

/** A message a human must look at, with the model's best guess attached. */
export interface ReviewItem {
  readonly id: string;
  readonly text: string;
  readonly guess: string;
  readonly confidence: number;
  readonly alternatives: readonly { readonly intent: string; readonly score: number }[];
  readonly reason: ReviewReason;
  readonly model: { readonly name: string; readonly version: string };
  readonly requestId?: string;
  readonly state: ReviewState;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly claimedBy?: string;
  /** Set when state is 'labelled': the correct intent, which becomes a training example. */
  readonly label?: string;
  readonly labelledBy?: string;
  /**
   * How many messages this item stands for: a repeat of the same normalised text for the same
   * model version while the item is still open or claimed counts here instead of making a new item.
   */
  readonly count: number;
  /** When the latest of those messages came. */
  readonly lastSeenAt: string;
  /**
   * Those messages weighted by recency as of lastSeenAt (each halves every
   * RECENT_HALF_LIFE_HOURS, src/core/review/priority.ts): what the queue's order reads. Absent on
   * an item that was never stored (pending, dropped): it counts as 1.
   */
  readonly weightedCount?: number;
  /**
   * Set by a store that could not reach its database: the item waits in a local spool under this
   * id and is written when the database is back (merged into a repeat waiting there, if any).
   */
  readonly pending?: true;
  /** Set when the open queue was full (review.maxOpen): the item was not queued (counted in /metrics). */
  readonly dropped?: true;
}

export type NewReviewItem = Omit<ReviewItem, 'id' | 'state' | 'createdAt' | 'updatedAt' | 'claimedBy' | 'label' | 'labelledBy' | 'count' | 'lastSeenAt' | 'weightedCount' | 'pending' | 'dropped'>;

/** For items written late (from a spool): the id they were announced under and when the message came. */
export interface AddOptions {
  readonly id?: string;
  /** ISO-8601 time the message was seen. Default now. */
  readonly at?: string;
}

/**
 * `priority`: highest expected value first (src/core/review/priority.ts; equal scores oldest
 * first), the order reviewers are served in. `created`: oldest first, paged with `after`.
 */
export type ReviewOrder = 'priority' | 'created';

export interface ReviewQuery {
  readonly state?: ReviewState;
  readonly limit?: number;
  /** Items created strictly after this id's item (ids sort by creation); only in the created order. */
  readonly after?: string;
  /** Default created (what paging callers such as retrain and discover rely on); the review service asks for priority. */
  readonly order?: ReviewOrder;
}

/**
 * The human review queue. Near-duplicate messages (src/core/review/group.ts) of one model version
 * are one item while it waits. Adapters: SQLite (default), PostgreSQL. Transitions: open → claimed →
 * labelled | skipped; claim of a claimed item by someone else fails with 'invalid_input'
 * (HTTP 409 at the edge); an unknown id fails with 'not_found'.
 */
export interface ReviewStore extends ReviewIntake, ReviewDesk {
  close(): Promise<void>;
}

/** What classification writes to the queue: items in, counted on a pending twin when there is one. */
export interface ReviewIntake {
  /**
   * Queues `item`, or counts it on the open or claimed item of the same normalised text and model
   * version (returning that item). Adding an `id` that exists already returns that item unchanged.
   */
  add(item: NewReviewItem, o?: AddOptions): Promise<ReviewItem>;
  /** Counts `item` on the pending item of the same text and model version; undefined when there is none. */
  merge(item: NewReviewItem, o?: Pick<AddOptions, 'at'>): Promise<ReviewItem | undefined>;
  /** How many items are open now (the true figure, not a page). */
  openCount(): Promise<number>;
}

/** What reviewers (CLI, API) and retraining do with the queue: read, claim, resolve, take the labels. */
export interface ReviewDesk {
  list(q?: ReviewQuery): Promise<ReviewItem[]>;
  get(id: string): Promise<ReviewItem | undefined>;
  claim(id: string, who: string): Promise<ReviewItem>;
  /** Claims the open item first in priority order for `who`; undefined when none is open. Concurrent callers never get the same item. */
  claimNext(who: string): Promise<ReviewItem | undefined>;
  resolve(id: string, who: string, outcome: { label: string } | { skip: true }): Promise<ReviewItem>;
  /** Labelled items as training examples, oldest first. */
  labelled(): Promise<{ text: string; label: string; id: string }[]>;
}
