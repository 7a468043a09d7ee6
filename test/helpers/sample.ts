import { expect } from 'vitest';
import { IntentOpsError } from '../../src/core/errors.js';
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

/** Awaits a promise that must reject with an IntentOpsError, and returns that error. */
export async function rejection(p: Promise<unknown>): Promise<IntentOpsError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(IntentOpsError);
  return err as IntentOpsError;
}
