import { Hono } from 'hono';
import { z } from 'zod';
import type { FeedbackService } from '../../services/feedback.js';
import { readJson } from '../body.js';
import type { HttpSettings } from '../deps.js';
import { limitBody } from '../limit.js';
import { HttpProblem } from '../problem.js';
import type { Env } from '../types.js';

const required = (what: string) => (i: { input: unknown }) => (i.input === undefined ? 'required' : `must be ${what}`);

/** `POST /v1/feedback`: strict (an unknown field is a 400 naming it), at least one of correctIntent and rating. */
export const FeedbackRequestSchema = z
  .strictObject({
    predictionId: z.string({ error: required('a string') }).min(1, 'must not be empty').max(256).meta({ description: 'The `id` of the classify answer the feedback is about.' }),
    correctIntent: z.string({ error: required('a string') }).min(1, 'must not be empty').max(256).optional().meta({ description: "The intent the message should have had: one of the model's intents (GET /v1/intents)." }),
    rating: z
      .union([z.literal(-1), z.literal(0), z.literal(1)], { error: 'must be -1, 0 or 1' })
      .optional()
      .meta({ description: '-1 wrong / bad, 0 neutral, 1 right / good.' }),
    comment: z.string({ error: required('a string') }).max(2000, 'must be at most 2000 characters').optional().meta({ description: 'Free text, PII-redacted before it is stored.' }),
  })
  .refine((b) => b.correctIntent !== undefined || b.rating !== undefined, { message: 'give correctIntent, rating, or both', path: ['correctIntent'] });

export const FeedbackSchema = z.object({
  id: z.string(),
  predictionId: z.string(),
  correctIntent: z.string().optional(),
  rating: z.union([z.literal(-1), z.literal(0), z.literal(1)]).optional(),
  comment: z.string().optional().meta({ description: 'As stored: redacted.' }),
  source: z.string().meta({ description: 'The API key name (`anonymous` when auth is off).' }),
  at: z.string(),
});

/** What the feedback route needs: the body limit, and the service when events are configured. */
export interface FeedbackHttpDeps {
  readonly settings: Pick<HttpSettings, 'bodyLimitBytes'>;
  readonly feedback?: FeedbackService;
}

/**
 * Feedback on a served prediction: `POST /v1/feedback` → 201 with the stored record. The
 * source is the API key's name. Without an events store (events.uri: none) it is 503.
 */
export function feedbackRoutes(d: FeedbackHttpDeps): Hono<Env> {
  const r = new Hono<Env>();
  const limit = limitBody(d.settings.bodyLimitBytes, 'server.bodyLimitBytes');

  r.post('/v1/feedback', limit, async (c) => {
    if (!d.feedback) throw new HttpProblem(503, 'feedback-disabled', 'no prediction log or feedback store is configured (events.uri is none): set events.uri, e.g. sqlite:./intentops.db');
    const body = await readJson(c, FeedbackRequestSchema);
    return c.json(await d.feedback.give(body, c.get('principal')), 201);
  });

  return r;
}
