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
/**
 * The CLI as the tests start it in a child process: the bundled `dist/cli.mjs`, the code
 * `bin/intentops.js` runs for a user (scripts/bundle-cli.mjs), by absolute path (so a child can run
 * in a scratch directory). Not src/ through tsx, whose loader costs about 1.3 CPU-seconds more per
 * process (some 90 CLI processes in the suite). vitest's global setup (test/helpers/global-setup.ts)
 * compiles src/ into dist/ and bundles it again first whenever a source file is newer than it, so
 * the child runs the code under test.
 */
export const CLI_MAIN = join(ROOT, 'dist', 'cli.mjs');

/** Names the directory of the trained bundles the test files share (test/helpers/trained.ts). */
export const TRAIN_CACHE_ENV = 'INTENTOPS_TEST_TRAIN_CACHE';

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

