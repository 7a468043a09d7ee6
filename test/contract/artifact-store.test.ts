import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { openArtifactStore } from '../../src/adapters/artifacts/index.js';
import { runArtifactStoreContract } from './artifact-store.contract.js';

// Every backend of src/adapters/artifacts (one today: a local directory, file:), opened by URI
// as the registry opens it.
const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

runArtifactStoreContract('file: (local directory)', {
  fresh: async () => {
    const root = mkdtempSync(join(tmpdir(), 'intentops-artifacts-'));
    roots.push(root);
    return openArtifactStore(`file:${root}`);
  },
});
