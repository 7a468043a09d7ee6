import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SAMPLE_TRAIN = join(ROOT, 'data', 'sample', 'tickets.csv');
export const SAMPLE_TEST = join(ROOT, 'data', 'sample', 'tickets-test.csv');
export const SHARED = resolve(ROOT, '..', 'shared');
export const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

export function tempDir(prefix = 'intentops-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
