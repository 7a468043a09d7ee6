export { BUILT_IN_KINDS, compilePatterns, createRedactor, redact, type BuiltInKind, type Redaction, type RedactionPattern, type Redactor } from './redact.js';
export { ibanValid, luhnValid } from './checksums.js';
export { isPhoneNumber } from './detectors.js';
