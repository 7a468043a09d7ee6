/** Labels in a fixed order and their class indices: the contract between dataset and classifier. */
export interface LabelMap {
  readonly labels: string[];
  readonly index: Map<string, number>;
}

/**
 * Sorted, de-duplicated labels (by UTF-16 code unit, so the order never depends on the locale).
 *
 * @example
 * labelMap(['refund', 'cancel', 'refund']); // { labels: ['cancel', 'refund'], index: cancel→0, refund→1 }
 */
export function labelMap(labels: Iterable<string>): LabelMap {
  const sorted = [...new Set(labels)].sort();
  return { labels: sorted, index: new Map(sorted.map((label, i) => [label, i])) };
}
