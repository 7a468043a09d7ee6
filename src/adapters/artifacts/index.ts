import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IntentOpsError } from '../../core/errors.js';
import type { ArtifactPruner, ArtifactStore } from '../../ports/artifact-store.js';
import { LocalArtifactStore, type LocalArtifactStoreOptions } from './local.js';

export const DEFAULT_ARTIFACTS_URI = 'file:./intentops-artifacts';

/** `file:PATH` (relative to the working directory) or `file:///abs/path`. */
function localRoot(uri: string): string {
  if (uri.startsWith('file://')) return fileURLToPath(uri);
  const path = decodeURIComponent(uri.slice('file:'.length));
  if (!path) throw new IntentOpsError('invalid_config', `${uri} names no directory`, { where: 'artifact store URI', hint: 'write file:./intentops-artifacts' });
  return resolve(path);
}

/**
 * Artifact store backends by URI scheme. S3 (`s3://bucket/prefix`) or Azure Blob
 * (`azblob://container/prefix`) adapters would implement ArtifactStore (put uploads the files
 * and the listing under the tree hash; materialise downloads into a verified local cache) and
 * register here, loading their SDK lazily.
 */
export const artifactBackends = Object.freeze({
  file: { example: 'file:./intentops-artifacts', open: (uri: string, opts: LocalArtifactStoreOptions) => new LocalArtifactStore(localRoot(uri), opts) },
} satisfies Record<string, { example: string; open: (uri: string, opts: LocalArtifactStoreOptions) => ArtifactStore & Partial<ArtifactPruner> }>);

/**
 * Opens the artifact store a URI names; an unknown scheme fails with 'invalid_config'.
 *
 * @example
 *   const artifacts = openArtifactStore('file:./intentops-artifacts');
 *   const hash = await artifacts.put('models/tickets');
 *   const dir = await artifacts.materialise(hash); // verified, read-only
 */
export function openArtifactStore(uri: string = DEFAULT_ARTIFACTS_URI, opts: LocalArtifactStoreOptions = {}): ArtifactStore & Partial<ArtifactPruner> {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri)?.[1].toLowerCase();
  if (scheme === undefined || !Object.hasOwn(artifactBackends, scheme)) {
    throw new IntentOpsError('invalid_config', `artifact store URI ${JSON.stringify(uri)} has ${scheme ? `unknown scheme "${scheme}:"` : 'no scheme'}; valid: ${Object.keys(artifactBackends).map((s) => `${s}:`).join(', ')}`, {
      where: 'artifact store URI',
      hint: `use one of: ${Object.values(artifactBackends).map((b) => b.example).join(', ')}`,
    });
  }
  return artifactBackends[scheme as keyof typeof artifactBackends].open(uri, opts);
}

export { LocalArtifactStore, type ArtifactWriteStep, type LocalArtifactStoreOptions } from './local.js';
export { hashDirectory, treeHash, type TreeEntry } from './tree-hash.js';
