import type { RawRow } from '../../core/dataset/index.js';
import type { Decoded } from './decode.js';

export type Format = 'csv' | 'jsonl' | 'json';

export interface ReadOptions {
  /** Overrides the format implied by the file extension. */
  readonly format?: Format;
  /** CSV field delimiter (one character). Default: sniffed from the header among `,` `;` tab `|`. */
  readonly delimiter?: string;
  /** Column / field holding the message text. Default `text`. */
  readonly textCol?: string;
  /** Column / field holding the intent label. Default `label`. */
  readonly labelCol?: string;
}

export interface ReadResult {
  readonly rows: RawRow[];
  readonly format: Format;
  /** The CSV delimiter used (given or sniffed); absent for JSON formats. */
  readonly delimiter?: string;
}

/** What every format parser receives: decoded text plus the resolved options. */
export interface ParseInput {
  readonly decoded: Decoded;
  readonly file: string;
  readonly textCol: string;
  readonly labelCol: string;
  readonly delimiter?: string;
}

export type Parser = (input: ParseInput) => ReadResult;
