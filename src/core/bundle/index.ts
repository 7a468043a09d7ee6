export { BUNDLE_SCHEMA_VERSION, manifestSchema, type FileRef, type Manifest } from './manifest.js';
export type { Bundle, ManifestDraft } from './types.js';
