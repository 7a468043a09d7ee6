import type { ModelBundles } from '../../ports/model-bundles.js';
import { readBundle, writeBundle } from './io.js';

export { readBundle, writeBundle, type Bundle, type ManifestDraft } from './io.js';
export { BUNDLE_SCHEMA_VERSION, manifestSchema, type Manifest } from '../../core/bundle/manifest.js';
export { backupPath, recoverSwap, writeDirAtomic, type WriteStep } from './atomic.js';

/** The ModelBundles port over bundle directories on the local file system. */
export const modelBundles: ModelBundles = Object.freeze({ read: readBundle, write: writeBundle });
