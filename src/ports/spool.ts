/**
 * A bounded first-in-first-out holding area for writes whose store is away (review items,
 * prediction records): on disk when a directory is configured, so a restart loses nothing, else
 * in memory. Items are removed only after the caller wrote them (`peek`, write, `shift`), so a
 * crash between the two writes an item twice at worst, never zero times; the stores make a
 * second write harmless.
 */
export interface Spool<T> {
  /** Items held now. */
  readonly size: number;
  /** Items it may hold; `push` beyond it refuses. */
  readonly capacity: number;
  /** Appends `item`; false (nothing kept) when the spool is full. */
  push(item: T): boolean;
  /** The oldest `n` items, still held. */
  peek(n: number): T[];
  /** Forgets the oldest `n` items (after they were written). */
  shift(n: number): void;
  /** Releases the file; what is held stays on disk for the next start. */
  close(): Promise<void>;
}
