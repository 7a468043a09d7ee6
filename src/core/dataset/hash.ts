import { createHash } from 'node:crypto';
import type { LabelledText } from '../types.js';
import { normaliseLabel, normaliseText } from './normalise.js';

/**
 * SHA-256 (hex) of the normalised examples, in order. Stable across runs and machines, so a model
 * can record exactly which data it was trained on. Origin (file, line) is not part of the hash.
 *
 * @example
 * dataHash([{ text: 'where is my parcel', label: 'track' }]); // 64 hex chars
 */
export function dataHash(examples: Iterable<LabelledText>): string {
  const hash = createHash('sha256');
  // One JSON array per line: unambiguous whatever the texts contain.
  for (const ex of examples) hash.update(`${JSON.stringify([normaliseText(ex.text), normaliseLabel(ex.label)])}\n`);
  return hash.digest('hex');
}
