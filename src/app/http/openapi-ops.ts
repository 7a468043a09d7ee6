import type { z } from 'zod';
import { FeedbackRequestSchema, FeedbackSchema } from './routes/feedback.js';
import { rolloutSchemas } from './routes/rollout.js';

/** The operations part of the API (feedback, monitoring, runs, rollout): schemas and paths for buildOpenApi. */
export function opsSchemas(): [string, z.ZodType][] {
  return [
    ['FeedbackRequest', FeedbackRequestSchema],
    ['Feedback', FeedbackSchema],
    ['RolloutSet', rolloutSchemas.set],
    ['RolloutPromote', rolloutSchemas.promote],
    ['RolloutRollback', rolloutSchemas.rollback],
  ];
}

type Helpers = {
  json: (id: string) => Record<string, unknown>;
  problem: (description: string) => Record<string, unknown>;
  secured: Record<string, unknown>;
  AUTH_ERRORS: Record<string, unknown>;
  BODY_ERRORS: Record<string, unknown>;
};

const object = { 'application/json': { schema: { type: 'object' } } };

export function opsPaths(h: Helpers): Record<string, unknown> {
  const { json, problem, secured, AUTH_ERRORS, BODY_ERRORS } = h;
  const noRollout = problem('The server does not serve a registry champion (models:/NAME@champion), so there is no rollout');
  const rolloutAction = (summary: string, operationId: string, body: string) => ({
    post: {
      tags: ['rollout'],
      summary,
      operationId,
      ...secured,
      requestBody: { required: true, content: json(body) },
      responses: { 200: { description: 'The rollout after the change', content: object }, ...BODY_ERRORS, ...AUTH_ERRORS, 404: noRollout, 409: problem('Not possible now (no challenger, or the quality gate failed: `gates` lists each verdict)') },
    },
  });
  return {
    '/v1/feedback': {
      post: {
        tags: ['feedback'],
        summary: 'Feedback on a prediction: the correct intent and/or a rating',
        operationId: 'giveFeedback',
        ...secured,
        requestBody: { required: true, content: json('FeedbackRequest') },
        responses: { 201: { description: 'The stored feedback (comment redacted)', content: json('Feedback') }, ...BODY_ERRORS, ...AUTH_ERRORS, 404: problem('No prediction with this id in the prediction log'), 503: problem('No events store configured (events.uri is none)') },
      },
    },
    '/v1/discover': {
      get: {
        tags: ['review'],
        summary: 'Intent discovery: clusters of the open review items (out-of-scope and unsure messages) with size, growth, central messages, reasons, the model guess and a suggested name; read-only',
        operationId: 'discover',
        ...secured,
        parameters: [
          { name: 'since', in: 'query', schema: { type: 'string', default: '7d' }, description: 'items seen within this window: 90m, 24h, 7d, 2w' },
          { name: 'reason', in: 'query', schema: { type: 'string' }, description: 'comma-separated review reasons (default: all but audit)' },
          { name: 'minSimilarity', in: 'query', schema: { type: 'number', minimum: -1, maximum: 1 }, description: 'average cosine similarity within a cluster (default by embedder: hashed 0.2, else 0.4)' },
          { name: 'minSize', in: 'query', schema: { type: 'integer', minimum: 1, default: 3 } },
          { name: 'maxItems', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 1000 }, description: 'the most recently seen items clustered' },
        ],
        responses: { 200: { description: 'Discovery report', content: object }, 400: problem('Invalid query'), ...AUTH_ERRORS, 503: problem('No review store is configured') },
      },
    },
    '/v1/monitor': {
      get: {
        tags: ['monitoring'],
        summary: 'Drift and quality figures of the current window against the training reference, alerts, and the daily LLM budget',
        operationId: 'monitor',
        ...secured,
        responses: { 200: { description: 'Snapshot', content: object }, ...AUTH_ERRORS, 503: problem('Monitoring is off and no budget is set') },
      },
    },
    '/v1/runs': {
      get: {
        tags: ['monitoring'],
        summary: 'Recent tracked runs (training and evaluation figures), newest first',
        operationId: 'listRuns',
        ...secured,
        parameters: [
          { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
          { name: 'name', in: 'query', required: false, schema: { type: 'string' } },
          { name: 'before', in: 'query', required: false, schema: { type: 'string' }, description: 'Runs created before this run id (paging)' },
        ],
        responses: { 200: { description: 'Runs', content: object }, 400: problem('Invalid query'), ...AUTH_ERRORS, 503: problem('No tracking store configured (tracking.uri is none)') },
      },
    },
    '/v1/rollout': {
      get: {
        tags: ['rollout'],
        summary: 'Rollout of the served champion: mode, share, versions, live per-variant figures; with analysis=true the A/B test on review labels and feedback',
        operationId: 'rolloutStatus',
        ...secured,
        parameters: [{ name: 'analysis', in: 'query', required: false, schema: { type: 'string', enum: ['true', 'false', '1', '0'] } }],
        responses: { 200: { description: 'Status', content: object }, ...AUTH_ERRORS, 404: noRollout },
      },
      put: {
        tags: ['rollout'],
        summary: 'Set the rollout mode (off, shadow, canary, ab) and share',
        operationId: 'setRollout',
        ...secured,
        requestBody: { required: true, content: json('RolloutSet') },
        responses: { 200: { description: 'The rollout after the change', content: object }, ...BODY_ERRORS, ...AUTH_ERRORS, 404: noRollout },
      },
    },
    '/v1/rollout/llm': {
      get: {
        tags: ['rollout'],
        summary: 'The LLM fallback\'s variants: the champion that answers, the challenger shadowing it, live agreement, cost and latency of each; with analysis=true the same from the prediction log (all replicas)',
        operationId: 'llmRolloutStatus',
        ...secured,
        parameters: [
          { name: 'analysis', in: 'query', required: false, schema: { type: 'string', enum: ['true', 'false', '1', '0'] } },
          { name: 'since', in: 'query', required: false, schema: { type: 'string' }, description: 'With analysis: 30m, 24h, 7d or an ISO-8601 time (default 24h)' },
        ],
        responses: { 200: { description: 'Status (`served: null` when the server has no LLM fallback)', content: object }, 400: problem('Invalid query'), ...AUTH_ERRORS },
      },
    },
    '/v1/rollout/promote': rolloutAction('Gate the challenger against the champion, move champion to it and end the rollout', 'promoteRollout', 'RolloutPromote'),
    '/v1/rollout/rollback': rolloutAction('End a running rollout, or move champion back to its previous version', 'rollbackRollout', 'RolloutRollback'),
    '/dashboard/': {
      get: { tags: ['operations'], summary: 'Operations dashboard (served locally)', operationId: 'dashboard', security: [], responses: { 200: { description: 'HTML', content: { 'text/html': { schema: { type: 'string' } } } }, 503: problem('The dashboard is not built (npm run build)') } },
    },
  };
}
