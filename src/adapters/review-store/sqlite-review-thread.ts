import type { AddOptions, NewReviewItem, ReviewItem, ReviewQuery, ReviewStore } from '../../ports/review-store.js';
import { openStoreThread, type StoreThread } from '../sqlite-thread.js';
import { closedError, type Outcome } from './review-common.js';
import { traced } from './review-trace.js';

/**
 * The SQLite review store on a thread of its own (see ../sqlite-thread.ts): every unsure message
 * adds an item while it is being answered, and the synchronous insert (plus any wait for another
 * process's write lock) no longer holds up the other requests. The answer still waits for the
 * item to be committed: a message is never reported queued before it is.
 *
 * @example
 * const store = await openThreadedReviewStore('./intentops.db');
 */
export async function openThreadedReviewStore(path: string): Promise<ReviewStore> {
  return new ThreadedReviewStore(await openStoreThread('review', path, () => closedError('SQLite')));
}

class ThreadedReviewStore implements ReviewStore {
  constructor(private readonly t: StoreThread) {}

  add(item: NewReviewItem, o?: AddOptions): Promise<ReviewItem> {
    return traced('add', () => this.t.call<ReviewItem>('add', item, o));
  }

  merge(item: NewReviewItem, o?: Pick<AddOptions, 'at'>): Promise<ReviewItem | undefined> {
    return this.t.call('merge', item, o);
  }

  openCount(): Promise<number> {
    return this.t.call('openCount');
  }

  list(q?: ReviewQuery): Promise<ReviewItem[]> {
    return this.t.call('list', q);
  }

  get(id: string): Promise<ReviewItem | undefined> {
    return this.t.call('get', id);
  }

  claim(id: string, who: string): Promise<ReviewItem> {
    return traced('claim', () => this.t.call<ReviewItem>('claim', id, who));
  }

  claimNext(who: string): Promise<ReviewItem | undefined> {
    return traced('claim', () => this.t.call<ReviewItem | undefined>('claimNext', who));
  }

  resolve(id: string, who: string, outcome: Outcome): Promise<ReviewItem> {
    return traced('resolve', () => this.t.call<ReviewItem>('resolve', id, who, outcome));
  }

  labelled(): Promise<{ text: string; label: string; id: string }[]> {
    return this.t.call('labelled');
  }

  close(): Promise<void> {
    return this.t.close();
  }
}
