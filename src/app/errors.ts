import { IntentOpsError, type ErrorCode } from '../core/errors.js';

/** CLI exit codes, documented in the README. */
export const EXIT = Object.freeze({
  ok: 0,
  internal: 1,
  invalid_input: 2,
  invalid_config: 2,
  not_found: 3,
  corrupt: 4,
  unavailable: 5,
} satisfies Record<ErrorCode | 'ok', number>);

/** HTTP status per error code (one mapping, used by the server). */
export const HTTP_STATUS = Object.freeze({
  invalid_input: 400,
  invalid_config: 500,
  not_found: 404,
  corrupt: 500,
  unavailable: 503,
  internal: 500,
} satisfies Record<ErrorCode, number>);

export function asIntentOpsError(e: unknown): IntentOpsError {
  if (e instanceof IntentOpsError) return e;
  const err = e as Error;
  return new IntentOpsError('internal', err?.message ?? String(e), { cause: e });
}
