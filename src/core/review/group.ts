import { createHash } from 'node:crypto';
import { nearKey } from '../dataset/normalise.js';

/**
 * What makes two review messages one item: the same text as the dataset compares near-duplicates
 * (nearKey: compatibility-normalised, case-folded, apostrophes dropped, other punctuation and runs
 * of white space as one space), hashed so the store's unique index stays small whatever the
 * length. "I can't log in!!" and "i cant log in" are one item; the item keeps the first text seen,
 * and retraining (which compares labels by the same key) learns that text for all of them.
 */
export function groupKey(text: string): string {
  return createHash('sha256').update(nearKey(text)).digest('hex').slice(0, 32);
}
