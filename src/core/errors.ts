/**
 * The one error type of the domain. `code` maps to a CLI exit code and an HTTP status in the app
 * layer (src/app/errors.ts); `where` points at the culprit (file:line, field, path) and `hint`
 * says how to fix it.
 */
export type ErrorCode =
  | 'invalid_input' // bad data or arguments supplied by the user
  | 'invalid_config' // configuration file / env / flag values
  | 'not_found' // a file, model, or item that does not exist
  | 'corrupt' // a stored artefact failed its schema or checksum
  | 'unavailable' // a dependency (service, model file, native module) cannot be reached or loaded
  | 'internal';

export class IntentOpsError extends Error {
  readonly code: ErrorCode;
  readonly where?: string;
  readonly hint?: string;

  constructor(code: ErrorCode, message: string, opts: { where?: string; hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'IntentOpsError';
    this.code = code;
    this.where = opts.where;
    this.hint = opts.hint;
  }

  /** `where: message. hint` — the form printed by the CLI. */
  describe(): string {
    const head = this.where ? `${this.where}: ${this.message}` : this.message;
    return this.hint ? `${head}\n  hint: ${this.hint}` : head;
  }
}
