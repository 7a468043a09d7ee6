/**
 * Content-addressed storage of artifact directories (model bundles). An artifact is named by
 * its tree hash: sha256 over the sorted list of (relative path, file sha256), so the same
 * files always give the same name and a stored artifact can never change without its name
 * ceasing to match. Adapters: a local directory (default); S3 / Azure Blob implement the same
 * three members (put uploads, materialise downloads into a local cache or `destDir`).
 */
export interface ArtifactStore {
  /** Stores the files under `dir` (if not already stored) and returns their tree hash (64 hex). */
  put(dir: string): Promise<string>;
  has(hash: string): Promise<boolean>;
  /**
   * A local directory holding the artifact, verified against its hash (a modified, missing or
   * extra file fails with 'corrupt'; an unknown hash with 'not_found'). Without `destDir` the
   * store may hand back its own copy, which callers must treat as read-only; with `destDir`
   * the files are copied there atomically (an existing `destDir` is replaced).
   */
  materialise(hash: string, destDir?: string): Promise<string>;
}

export interface StoredArtifact {
  readonly hash: string;
  readonly storedAt: Date;
}

/** Optional ability: enumerate and delete artifacts, for garbage collection. */
export interface ArtifactPruner {
  /** storedAt is refreshed whenever a put finds the artifact already stored. */
  list(): Promise<StoredArtifact[]>;
  /**
   * Deletes an artifact; with `storedBefore`, only if it was not stored (or re-put) since, so
   * a collector never deletes what a registration in flight has just put. True if deleted.
   */
  remove(hash: string, opts?: { readonly storedBefore?: Date }): Promise<boolean>;
}
