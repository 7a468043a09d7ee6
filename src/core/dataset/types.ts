import type { LabelledText } from '../types.js';

/**
 * One record as a reader hands it over, before any validation. Values are `unknown` because
 * JSON may carry numbers, nulls or objects where strings belong; the validator decides.
 */
export interface RawRow {
  readonly text: unknown;
  readonly label: unknown;
  /** 1-based physical line where the record starts (a multi-line CSV record reports its first line). */
  readonly line: number;
  readonly file: string;
  /**
   * Set by the reader when the record's bytes are not valid UTF-8; `text` is then `undefined`.
   * `line` / `column` point at the first bad byte (column counted in bytes, 1-based).
   */
  readonly invalidUtf8?: { readonly line: number; readonly column: number };
}

/** A labelled example that survived validation, with its origin kept for later reports. */
export type Example = LabelledText & { readonly line: number; readonly file: string };

export type Severity = 'error' | 'warning';

export type RuleId =
  | 'invalid-utf8'
  | 'invalid-type'
  | 'empty-text'
  | 'missing-label'
  | 'text-too-long'
  | 'duplicate'
  | 'near-duplicate'
  | 'conflict'
  | 'near-conflict'
  | 'rare-label'
  | 'too-few-labels';

/** One problem found in a dataset. `line` is 0 for findings about the dataset as a whole. */
export interface Finding {
  readonly severity: Severity;
  readonly rule: RuleId;
  readonly file: string;
  readonly line: number;
  readonly message: string;
  readonly hint: string;
}

export interface DataReport {
  /** Rows received from the readers. */
  readonly rows: number;
  /** Examples kept after validation, de-duplication and conflict removal. */
  readonly kept: number;
  /** Kept examples per label, most frequent first (ties by label name). */
  readonly labels: readonly { readonly label: string; readonly count: number }[];
  readonly duplicatesDropped: number;
  readonly nearDuplicatesDropped: number;
  /** Distinct texts (after aggressive normalisation) seen under more than one label; all their rows are dropped. */
  readonly conflicts: number;
  readonly errors: number;
  readonly warnings: number;
}

export interface CheckOptions {
  /** Longest accepted text, in Unicode code points after normalisation. Default 5000. */
  readonly maxTextLength?: number;
  /** Labels with fewer kept examples get a `rare-label` warning. Default 5. */
  readonly minExamplesPerLabel?: number;
  /** Report every warning as an error. */
  readonly strict?: boolean;
  /**
   * Keep duplicates, near-duplicates and conflicting rows (still reported). Evaluation needs a
   * test file scored row for row; training drops them (the default).
   */
  readonly keepDuplicates?: boolean;
}

export interface CheckResult {
  readonly examples: Example[];
  readonly findings: Finding[];
  readonly report: DataReport;
}
