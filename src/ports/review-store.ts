export type ReviewState = 'open' | 'claimed' | 'labelled' | 'skipped';
export type ReviewReason = 'low_confidence' | 'low_margin' | 'knn_disagrees' | 'llm_failed' | 'llm_none' | 'llm_budget';

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
}

export type NewReviewItem = Omit<ReviewItem, 'id' | 'state' | 'createdAt' | 'updatedAt' | 'claimedBy' | 'label' | 'labelledBy'>;

export interface ReviewQuery {
  readonly state?: ReviewState;
  readonly limit?: number;
  /** Items created strictly after this id's item (ids sort by creation). */
  readonly after?: string;
}

/**
 * The human review queue. Adapters: SQLite (default), PostgreSQL. Transitions: open → claimed →
 * labelled | skipped; claim of a claimed item by someone else fails with 'invalid_input'
 * (HTTP 409 at the edge); an unknown id fails with 'not_found'.
 */
export interface ReviewStore {
  add(item: NewReviewItem): Promise<ReviewItem>;
  list(q?: ReviewQuery): Promise<ReviewItem[]>;
  get(id: string): Promise<ReviewItem | undefined>;
  claim(id: string, who: string): Promise<ReviewItem>;
  resolve(id: string, who: string, outcome: { label: string } | { skip: true }): Promise<ReviewItem>;
  /** Labelled items as training examples, oldest first. */
  labelled(): Promise<{ text: string; label: string; id: string }[]>;
  close(): Promise<void>;
}
