/** One immutable, numbered version of a registered model. */
export interface ModelVersion {
  readonly name: string;
  /** 1, 2, 3… per model, assigned by the store. */
  readonly version: number;
  /** Tree hash of the bundle in the ArtifactStore. */
  readonly artifact: string;
  readonly runId: string | null;
  readonly description: string | null;
  /** Where the bundle was registered from (informational). */
  readonly source: string | null;
  /** The bundle's metrics when it was registered. */
  readonly metrics: Readonly<Record<string, number>>;
  readonly createdAt: string;
  readonly createdBy: string | null;
}

export type NewModelVersion = Pick<ModelVersion, 'name' | 'artifact'> & Partial<Pick<ModelVersion, 'runId' | 'description' | 'source' | 'metrics' | 'createdBy'>>;

export interface RegisteredModel {
  readonly name: string;
  readonly createdAt: string;
  readonly latestVersion: number;
  /** alias → version */
  readonly aliases: Readonly<Record<string, number>>;
}

export interface ModelDetail extends RegisteredModel {
  /** Oldest first. */
  readonly versions: readonly ModelVersion[];
}

/** A version number, the highest version, or the version an alias points at. */
export type VersionRef = number | 'latest' | { readonly alias: string };

/** Point `alias` at version `to`, or delete it (`to: null`). */
export interface AliasChange {
  readonly name: string;
  readonly alias: string;
  readonly to: number | null;
  readonly who: string;
  readonly why?: string | null;
}

/** An audit log entry: every alias set, move and delete. */
export interface AliasMove {
  /** Increases with every move (across models). */
  readonly id: number;
  readonly name: string;
  readonly alias: string;
  /** null when the alias did not exist before. */
  readonly from: number | null;
  /** null when the alias was deleted. */
  readonly to: number | null;
  readonly who: string;
  readonly why: string | null;
  readonly at: string;
}

/**
 * The model registry's records (MLflow-style: versions plus aliases, no stages). Adapters:
 * SQLite and PostgreSQL, chosen by URI in src/adapters/registry. Guarantees: version numbers
 * are consecutive per model even under concurrent addVersion calls from several processes; a
 * version never changes once written; an alias move and its audit entry are written together
 * or not at all. Errors: an unknown model or version in moveAlias, or deleting an alias that
 * does not exist, fails with 'not_found'; a malformed name or alias with 'invalid_input'.
 */
export interface RegistryStore extends RegistryVersions, RegistryAliases {
  close(): Promise<void>;
}

/** The versions half of the registry: what was registered, immutable once written. */
export interface RegistryVersions {
  /** Records the next version of `name` (creating the model on its first version). */
  addVersion(v: NewModelVersion): Promise<ModelVersion>;
  getVersion(name: string, ref: VersionRef): Promise<ModelVersion | undefined>;
  listModels(): Promise<RegisteredModel[]>;
  getModel(name: string): Promise<ModelDetail | undefined>;
}

/** The aliases half of the registry: which version each alias points at, and the audit log of its moves. */
export interface RegistryAliases {
  moveAlias(change: AliasChange): Promise<AliasMove>;
  /** Alias moves, newest first; `alias` narrows to one alias. */
  history(name: string, opts?: { readonly alias?: string; readonly limit?: number }): Promise<AliasMove[]>;
}
