import { IntentOpsError } from '../../core/errors.js';
import type { ReviewItem, ReviewQuery, ReviewStore } from '../../ports/review-store.js';

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

/**
 * The review use case behind both the HTTP API and `intentops review`: list, claim, label, skip.
 * Labels are checked against the served model's intents when they are known, so a typo never
 * becomes a training example.
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
  ) {}

  list(q: ReviewQuery = {}): Promise<ReviewItem[]> {
    return this.store.list(q);
  }

  /** Open items in the whole queue now (the figure to show, not the length of a page). */
  openCount(): Promise<number> {
    return this.store.openCount();
  }

  claim(id: string, who: string): Promise<ReviewItem> {
    return transition(() => this.store.claim(id, who));
  }

  label(id: string, who: string, label: string): Promise<ReviewItem> {
    const known = this.labels?.();
    if (known && !known.includes(label)) {
      const shown = known.length > 20 ? `${known.slice(0, 20).join(', ')}, … (${known.length} in all)` : known.join(', ');
      throw new IntentOpsError('invalid_input', `unknown intent ${JSON.stringify(label)}`, { where: 'label', hint: `use one of the model's intents: ${shown}` });
    }
    return transition(() => this.store.resolve(id, who, { label }));
  }

  skip(id: string, who: string): Promise<ReviewItem> {
    return transition(() => this.store.resolve(id, who, { skip: true }));
  }
}

async function transition(f: () => Promise<ReviewItem>): Promise<ReviewItem> {
  try {
    return await f();
  } catch (e) {
    throw e instanceof IntentOpsError && e.code === 'invalid_input' ? new ReviewConflict(e) : e;
  }
}
