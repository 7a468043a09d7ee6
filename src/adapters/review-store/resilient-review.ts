import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import { IntentOpsError } from '../../core/errors.js';
import type { AddOptions, NewReviewItem, ReviewItem, ReviewQuery, ReviewStore } from '../../ports/review-store.js';
import type { Spool } from '../../ports/spool.js';
import type { Outcome } from './review-common.js';
import { ulidFactory } from '../sql/ids.js';

/*
 * The review queue as the serving path uses it: an unsure message must get its answer whether or
 * not the database is there. While the store is unreachable (or slower than addTimeoutMs), new
 * items wait in a bounded spool under the id the answer carries (`pending: true`) and a probe
 * tries the store every probeMs; once it answers, the spool is written out oldest first and the
 * queue is used directly again. A store already known to be down is not tried per request (no
 * request waits on it). The open queue is bounded (maxOpen): once it is full, a repeat of a
 * pending text is still counted on its item, a new text is dropped (`dropped: true`) and counted.
 * Reads and reviewer actions go straight to the store: they fail while it is away.
 */

export interface ResilientReviewOptions {
  readonly spool: Spool<SpooledReview>;
  /** Open items at most (0 = no bound); checked against a count at most refreshMs old plus this process's own additions since. */
  readonly maxOpen?: number;
  /** A write slower than this is treated as the store being away. Default 2000 ms. */
  readonly addTimeoutMs?: number;
  /** How often a store that is away is tried again. Default 1000 ms. */
  readonly probeMs?: number;
  /** How old the open count may get before it is read again. Default 1000 ms. */
  readonly refreshMs?: number;
  readonly now?: () => number;
  /** Told when the store goes away and when it is back (with how many spooled items were written). */
  readonly onState?: (up: boolean, detail: { error?: string; flushed?: number }) => void;
  /** The spool keeps items across a restart (a file). Without it, what is still spooled at close is lost: counted and told to onLost. */
  readonly persistent?: boolean;
  readonly onLost?: (items: number) => void;
}

/** A review item waiting in the spool: the item, the id its answer announced, when its message came. */
export interface SpooledReview {
  readonly item: NewReviewItem;
  readonly id: string;
  readonly at: string;
}

export interface ResilientReviewStats {
  /** False while the store is away (items are spooled). */
  readonly up: boolean;
  readonly spooled: number;
  readonly spoolCapacity: number;
  /** Items ever spooled / written out of the spool by this process. */
  readonly spooledTotal: number;
  readonly flushedTotal: number;
  /** Items not queued: the spool was full, or the open queue was (review.maxOpen). */
  readonly dropped: { readonly spool_full: number; readonly queue_full: number; readonly shutdown: number };
  /** The open count this process works with (see maxOpen). */
  readonly openEstimate: number | undefined;
  readonly maxOpen: number;
}

const FLUSH_BATCH = 50;

/** `p`, or 'unavailable' once `ms` have passed (one promise and one timer per call: an add runs per unsure message). */
function timeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new IntentOpsError('unavailable', `the review store did not answer ${what} within ${ms} ms`, { where: 'review store' })), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

const unavailable = (e: unknown) => e instanceof IntentOpsError && e.code === 'unavailable';

/**
 * Wraps `store` for serving (see above). Close it instead of the store: it tries a last flush,
 * keeps what is left in the spool (on disk when the spool has a file), then closes the store.
 *
 * @example
 * const review = new ResilientReviewStore(await openReviewStore(uri), { spool: openSpool({ dir: '/var/spool/intentops', name: 'review', capacity: 10_000 }), maxOpen: 10_000 });
 * const item = await review.add(newItem); // item.pending while the database is away
 */
export class ResilientReviewStore implements ReviewStore {
  private down = false;
  private probe: NodeJS.Timeout | undefined;
  private probing = false;
  private closed = false;
  private spooledTotal = 0;
  private flushedTotal = 0;
  private readonly dropped = { spool_full: 0, queue_full: 0, shutdown: 0 };
  private open: number | undefined;
  private openAt = 0;
  private refreshing = false;
  private readonly nextId: () => string;
  private readonly now: () => number;
  private readonly maxOpen: number;
  private readonly addTimeoutMs: number;
  private readonly probeMs: number;
  private readonly refreshMs: number;

  constructor(
    private readonly store: ReviewStore,
    private readonly o: ResilientReviewOptions,
  ) {
    this.now = o.now ?? Date.now;
    this.nextId = ulidFactory(this.now);
    this.maxOpen = o.maxOpen ?? 0;
    this.addTimeoutMs = o.addTimeoutMs ?? 2000;
    this.probeMs = o.probeMs ?? 1000;
    this.refreshMs = o.refreshMs ?? 1000;
    // items a previous process left in the spool file are written as soon as the store answers
    if (o.spool.size) this.goDown('items left in the spool by an earlier run');
    else this.refreshOpen();
  }

  stats(): ResilientReviewStats {
    return {
      up: !this.down,
      spooled: this.o.spool.size,
      spoolCapacity: this.o.spool.capacity,
      spooledTotal: this.spooledTotal,
      flushedTotal: this.flushedTotal,
      dropped: { ...this.dropped },
      openEstimate: this.open,
      maxOpen: this.maxOpen,
    };
  }

  async add(item: NewReviewItem, o: AddOptions = {}): Promise<ReviewItem> {
    if (this.closed) throw new IntentOpsError('unavailable', 'the review store is closed', { where: 'review store' });
    const at = o.at ?? new Date(this.now()).toISOString();
    // the id is chosen here, before the write: a write slower than addTimeoutMs may still land
    // after its item was spooled, and the spooled copy must then be the same item (a no-op when
    // flushed), not a second add of the text that counts the message twice
    const id = o.id ?? this.nextId();
    if (this.down) return this.spool(item, id, at);
    try {
      return await timeout(this.write(item, { ...o, id, at }), this.addTimeoutMs, 'an add');
    } catch (e) {
      if (!unavailable(e)) throw e;
      this.goDown((e as Error).message);
      return this.spool(item, id, at);
    }
  }

  /** One item to the store, within the open bound; a dropped item comes back marked. */
  private async write(item: NewReviewItem, o: AddOptions & { at: string }): Promise<ReviewItem> {
    this.refreshOpen();
    if (this.maxOpen > 0 && this.open !== undefined && this.open >= this.maxOpen) {
      const merged = await this.store.merge(item, { at: o.at });
      if (merged) return merged;
      this.dropped.queue_full++;
      return { ...this.shape(item, o.id ?? this.nextId(), o.at), dropped: true };
    }
    const r = await this.store.add(item, o);
    if (r.count === 1 && this.open !== undefined && r.state === 'open') this.open++;
    return r;
  }

  private spool(item: NewReviewItem, id: string, at: string): ReviewItem {
    const shaped = this.shape(item, id, at);
    let kept = false;
    try {
      kept = this.o.spool.push({ item, id, at });
    } catch {
      kept = false; // a spool file that cannot be written: the item is dropped and counted
    }
    if (!kept) {
      this.dropped.spool_full++;
      return { ...shaped, dropped: true };
    }
    this.spooledTotal++;
    return { ...shaped, pending: true };
  }

  /** The item as it will be stored (a new open item of one message). */
  private shape(item: NewReviewItem, id: string, at: string): ReviewItem {
    return { ...item, id, state: 'open', createdAt: at, updatedAt: at, count: 1, lastSeenAt: at };
  }

  /** Reads the open count in the background when it is older than refreshMs. */
  private refreshOpen(): void {
    if (this.maxOpen <= 0 || this.refreshing || this.down || this.now() - this.openAt < this.refreshMs) return;
    this.refreshing = true;
    this.openAt = this.now();
    timeout(this.store.openCount(), this.addTimeoutMs, 'a count')
      .then((n) => void (this.open = n))
      .catch(() => undefined) // a failing store shows up in add
      .finally(() => (this.refreshing = false));
  }

  private goDown(error: string): void {
    if (this.closed) return;
    if (!this.down) this.o.onState?.(false, { error });
    this.down = true;
    if (this.probe) return;
    // the probe and its flushes belong to no request: started outside the trace context of the
    // request whose add found the store away (else every flush write is a span of that request)
    this.probe = context.with(ROOT_CONTEXT, () => setInterval(() => void this.tryFlush(), this.probeMs));
    this.probe.unref();
  }

  /** Probes the store; when it answers, writes the spool out and goes back to direct writes. */
  private async tryFlush(): Promise<boolean> {
    if (this.probing) return false;
    this.probing = true;
    let flushed = 0;
    try {
      this.open = await timeout(this.store.openCount(), this.addTimeoutMs, 'a probe');
      this.openAt = this.now();
      for (;;) {
        const batch = this.o.spool.peek(FLUSH_BATCH);
        if (!batch.length) break;
        let done = 0;
        let bad = 0;
        try {
          for (const s of batch) {
            await timeout(this.write(s.item, { id: s.id, at: s.at }), this.addTimeoutMs, 'a spooled add');
            done++;
          }
        } catch (e) {
          if (unavailable(e)) throw e;
          // a malformed line (an edited file) would block the spool for ever: dropped and counted
          bad = 1;
          this.dropped.spool_full++;
        } finally {
          this.o.spool.shift(done + bad);
          this.flushedTotal += done;
          flushed += done;
        }
      }
      clearInterval(this.probe);
      this.probe = undefined;
      if (this.down) this.o.onState?.(true, { flushed });
      this.down = false;
      return true;
    } catch {
      return false;
    } finally {
      this.probing = false;
    }
  }

  merge(item: NewReviewItem, o?: Pick<AddOptions, 'at'>): Promise<ReviewItem | undefined> {
    return this.store.merge(item, o);
  }

  openCount(): Promise<number> {
    return this.store.openCount();
  }

  list(q?: ReviewQuery): Promise<ReviewItem[]> {
    return this.store.list(q);
  }

  get(id: string): Promise<ReviewItem | undefined> {
    return this.store.get(id);
  }

  claim(id: string, who: string): Promise<ReviewItem> {
    return this.store.claim(id, who);
  }

  claimNext(who: string): Promise<ReviewItem | undefined> {
    return this.store.claimNext(who);
  }

  resolve(id: string, who: string, outcome: Outcome): Promise<ReviewItem> {
    return this.store.resolve(id, who, outcome);
  }

  labelled(): Promise<{ text: string; label: string; id: string }[]> {
    return this.store.labelled();
  }

  /** Resolves once the spool is empty and the store answers, or after `ms` (false then). */
  async drain(ms: number): Promise<boolean> {
    const until = this.now() + ms;
    while (this.down || this.o.spool.size) {
      if (await this.tryFlush()) return true;
      if (this.now() >= until) return false;
      await new Promise((r) => setTimeout(r, Math.min(this.probeMs, 200)));
    }
    return true;
  }

  /** A last flush (at most `flushMs`), then the spool keeps what is left and the store closes. */
  async close(flushMs = 3000): Promise<void> {
    if (this.closed) return;
    if (this.o.spool.size) await this.drain(flushMs);
    this.closed = true;
    clearInterval(this.probe);
    this.probe = undefined;
    const left = this.o.spool.size;
    if (left && !this.o.persistent) {
      this.dropped.shutdown += left;
      this.o.onLost?.(left);
    }
    await this.o.spool.close();
    await this.store.close();
  }
}
