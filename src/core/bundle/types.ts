import type { LabelledText } from '../types.js';
import type { Manifest } from './manifest.js';

/*
 * What a trained model is made of, in memory. Reading and writing a bundle directory is
 * src/adapters/bundle (readBundle, writeBundle); the model built from one is an IntentModel.
 */

/** A model bundle in memory: the manifest plus its binary parts. */
export interface Bundle {
  readonly manifest: Manifest;
  readonly weights: Float32Array;
  readonly bias: Float32Array;
  readonly embedderArrays: Record<string, Float32Array>;
  readonly indexBytes: Uint8Array;
  readonly examples: readonly LabelledText[];
}

/** The manifest as the trainer fills it: file references are added by writeBundle. */
export type ManifestDraft = Omit<Manifest, 'schemaVersion' | 'kind' | 'embedder' | 'classifier' | 'index' | 'examples'> & {
  embedder: Omit<Manifest['embedder'], 'arrays'>;
  classifier: Omit<Manifest['classifier'], 'weights'>;
  index: Omit<Manifest['index'], 'file'>;
};
