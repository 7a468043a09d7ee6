import { z } from 'zod';
import { IntentOpsError } from '../../core/errors.js';
import type { Feedback, NewFeedback } from '../../ports/feedback-store.js';
import { checkLimit, isoTime } from '../prediction-log/records.js';
import { isoOf } from '../sql/index.js';

/* The feedback store's input checks and row <-> feedback mapping. */

const text = z.string().min(1, 'must not be empty').max(256, 'must be at most 256 characters');

function invalid(message: string, where: string, hint?: string): IntentOpsError {
  return new IntentOpsError('invalid_input', message, { where, hint });
}

const feedbackSchema = z.object({
  predictionId: text,
  correctIntent: z.string().trim().min(1, 'must not be empty').optional(),
  rating: z.union([z.literal(-1), z.literal(0), z.literal(1)], { error: 'must be -1, 0 or 1' }).optional(),
  comment: z.string().max(5000, 'must be at most 5000 characters').optional(),
  source: z.string().trim().min(1, 'must not be empty').max(256),
});

export function checkFeedback(f: NewFeedback): NewFeedback {
  const r = feedbackSchema.safeParse(f);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = issue.path.join('.') || '(feedback)';
  throw invalid(`feedback field ${field}: ${issue.message}`, `feedback ${field}`);
}

export interface FeedbackQuery {
  readonly since?: string;
  readonly predictionId?: string;
  readonly limit?: number;
}

export function checkFeedbackQuery(q: FeedbackQuery = {}): FeedbackQuery {
  return {
    ...(q.since !== undefined && { since: isoTime(q.since, 'since') }),
    ...(q.predictionId !== undefined && { predictionId: q.predictionId }),
    ...(q.limit !== undefined && { limit: checkLimit(q.limit) }),
  };
}

/** A checked time window for counting: [since, until). */
export function checkWindow(q: { since?: string; until?: string } = {}): { since?: string; until?: string } {
  return {
    ...(q.since !== undefined && { since: isoTime(q.since, 'since') }),
    ...(q.until !== undefined && { until: isoTime(q.until, 'until') }),
  };
}

export const FEEDBACK_COLUMNS = ['id', 'prediction_id', 'correct_intent', 'rating', 'comment', 'source', 'at'] as const;

export interface FeedbackRow {
  readonly id: string;
  readonly prediction_id: string;
  readonly correct_intent: string | null;
  readonly rating: number | null;
  readonly comment: string | null;
  readonly source: string;
  readonly at: string | Date;
}

export function feedbackValues(id: string, f: NewFeedback, at: string): unknown[] {
  return [id, f.predictionId, f.correctIntent ?? null, f.rating ?? null, f.comment ?? null, f.source, at];
}

export function rowToFeedback(r: FeedbackRow): Feedback {
  return {
    id: r.id,
    predictionId: r.prediction_id,
    ...(r.correct_intent !== null && { correctIntent: r.correct_intent }),
    ...(r.rating !== null && { rating: r.rating as -1 | 0 | 1 }),
    ...(r.comment !== null && { comment: r.comment }),
    source: r.source,
    at: isoOf(r.at),
  };
}

