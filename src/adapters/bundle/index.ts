export { readBundle, writeBundle, type Bundle, type ManifestDraft } from './io.js';
export { BUNDLE_SCHEMA_VERSION, manifestSchema, type Manifest } from '../../core/bundle/manifest.js';
export { backupPath, recoverSwap, writeDirAtomic, type WriteStep } from './atomic.js';
