import { IntentOpsError } from '../../core/errors.js';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Shared argument checks, so every backend rejects the same inputs with the same words. */
export function checkSpend(where: string, day: string, usd?: number): void {
  if (typeof day !== 'string' || !DAY.test(day)) {
    throw new IntentOpsError('invalid_input', `spend day must be YYYY-MM-DD, got ${JSON.stringify(day)}`, { where, hint: 'pass the calendar day of the budget, e.g. 2025-01-31' });
  }
  if (usd !== undefined && !(typeof usd === 'number' && Number.isFinite(usd) && usd >= 0)) {
    throw new IntentOpsError('invalid_input', `spend must be a finite number of US dollars ≥ 0, got ${String(usd)}`, { where, hint: 'add the cost of one LLM call (usage.costUsd)' });
  }
}

export function closedCounter(where: string): IntentOpsError {
  return new IntentOpsError('unavailable', 'the spend counter is closed', { where, hint: 'open a new one; close() is the last call' });
}
