export { readRecords, PARSERS, EXTENSIONS } from './read-records.js';
export { parseCsv, sniffDelimiter, DELIMITER_CANDIDATES } from './csv.js';
export { parseJsonl } from './jsonl.js';
export { parseJsonArray } from './json-array.js';
export { decodeUtf8, findInvalidUtf8 } from './decode.js';
export type { Decoded } from './decode.js';
export type { Format, ParseInput, Parser, ReadOptions, ReadResult } from './types.js';
