import { IntentOpsError } from '../../core/errors.js';
import { priorityOf, type ReviewPriority } from '../../core/review/index.js';
import type { ReviewItem, ReviewQuery, ReviewStore } from '../../ports/review-store.js';

/** The review label for "not one of our intents" (a training label recognised as out of scope). */
export const OUT_OF_SCOPE = 'out_of_scope';

/**
 * A review transition that conflicts with the item's state (claimed by someone else, already
 * labelled): the store reports it as 'invalid_input'; the HTTP edge answers 409.
 */
export class ReviewConflict extends IntentOpsError {
  constructor(cause: IntentOpsError) {
    super('invalid_input', cause.message, { where: cause.where, hint: cause.hint ?? 'list open items with `GET /v1/review?state=open`', cause });
    this.name = 'ReviewConflict';
  }
}

/** A review item with its place in the queue: open and claimed items carry their priority (score, parts, explanation). */
export type RankedReviewItem = ReviewItem & { readonly priority?: ReviewPriority };

/**
 * The review use case behind both the HTTP API and `intentops review`: list, claim, label, skip.
 * Labels are checked against the served model's intents when they are known, so a typo never
 * becomes a training example. Open and claimed items are served highest expected value first
 * (src/core/review/priority.ts), each with its score and the parts it is made of.
 *
 * @example
 *   const reviews = new ReviewService(await openReviewStore('sqlite::memory:'), () => model.labels);
 *   const [item] = await reviews.list({ state: 'open', limit: 1 });
 *   await reviews.claim(item.id, 'ana');
 *   await reviews.label(item.id, 'ana', 'refund');
 */
export class ReviewService {
  constructor(
    private readonly store: ReviewStore,
    private readonly labels?: () => readonly string[],
    private readonly now: () => number = Date.now,
  ) {}

  /** Open and claimed items in priority order unless `after` (paging) or `order: 'created'` asks for creation order; other states oldest first. */
  async list(q: ReviewQuery = {}): Promise<RankedReviewItem[]> {
    const waiting = q.state === 'open' || q.state === 'claimed';
    const order = q.order ?? (waiting && q.after === undefined ? 'priority' : 'created');
    const items = await this.store.list({ ...q, order });
    const now = this.now();
    return items.map((i) => this.ranked(i, now));
  }

  /** Claims the open item with the highest priority for `who`; undefined when the queue is empty. */
  async claimNext(who: string): Promise<RankedReviewItem | undefined> {
    const item = await transition(() => this.store.claimNext(who));
    return item && this.ranked(item);
  }

  private ranked(item: ReviewItem, now = this.now()): RankedReviewItem {
    return item.state === 'open' || item.state === 'claimed' ? { ...item, priority: priorityOf(item, now) } : item;
  }

  /** Open items in the whole queue now (the figure to show, not the length of a page). */
  openCount(): Promise<number> {
    return this.store.openCount();
  }

  async claim(id: string, who: string): Promise<RankedReviewItem> {
    return this.ranked(await transition(() => this.store.claim(id, who)));
  }

  /**
   * Labels an item. Besides the model's intents a reviewer may say "not one of ours"
   * (`out_of_scope`: retraining learns it as the out-of-scope class and sharpens the novelty
   * threshold with it) or name a new intent (`newIntent`: retraining makes it a class once it has
   * NEW_INTENT_MIN_EXAMPLES labels, and reports it until then).
   */
  async label(id: string, who: string, label: string, o: { newIntent?: boolean } = {}): Promise<ReviewItem> {
    const known = this.labels?.();
    if (o.newIntent) {
      const name = label.trim();
      if (!/^[\p{L}\p{N}][\p{L}\p{N} _.\/-]{0,99}$/u.test(name) || name !== label) {
        throw new IntentOpsError('invalid_input', `new intent name ${JSON.stringify(label)} is not usable`, { where: 'label', hint: 'use 1–100 letters, digits, spaces, _ . / -, starting with a letter or digit (e.g. card_upgrade)' });
      }
      if (known?.includes(label)) throw new IntentOpsError('invalid_input', `${JSON.stringify(label)} is already one of the model's intents`, { where: 'label', hint: 'label it as that intent without newIntent' });
      return transition(() => this.store.resolve(id, who, { label }));
    }
    if (label === OUT_OF_SCOPE) return transition(() => this.store.resolve(id, who, { label }));
    if (known && !known.includes(label)) {
      const shown = known.length > 20 ? `${known.slice(0, 20).join(', ')}, … (${known.length} in all)` : known.join(', ');
      throw new IntentOpsError('invalid_input', `unknown intent ${JSON.stringify(label)}`, { where: 'label', hint: `use one of the model's intents (${shown}), ${OUT_OF_SCOPE} for a message that is none of ours, or mark a new intent (newIntent: true / --new-intent)` });
    }
    return transition(() => this.store.resolve(id, who, { label }));
  }

  skip(id: string, who: string): Promise<ReviewItem> {
    return transition(() => this.store.resolve(id, who, { skip: true }));
  }
}

async function transition<T extends ReviewItem | undefined>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw e instanceof IntentOpsError && e.code === 'invalid_input' ? new ReviewConflict(e) : e;
  }
}
