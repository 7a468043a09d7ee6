import type { Bundle, Manifest, ManifestDraft } from '../core/bundle/index.js';

/**
 * Model bundle directories: verified reads and atomic writes. The adapter is src/adapters/bundle
 * (`modelBundles`); the registry verifies with `read`, training saves with `write`.
 */
export interface ModelBundles {
  /** The bundle in `dir`, verified (checksums, schema version); 'not_found' or 'corrupt' otherwise. */
  read(dir: string): Bundle;
  /** Writes a bundle directory atomically: the old bundle stays loadable until the new one is whole. */
  write(dir: string, draft: ManifestDraft, parts: Omit<Bundle, 'manifest'>, onStep?: (step: string) => void): Manifest;
}
