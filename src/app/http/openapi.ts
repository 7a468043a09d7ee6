import { z } from 'zod';
import {
  ClassifyBatchResultSchema,
  ClassifyResultSchema,
  HealthSchema,
  IntentsSchema,
  ModelInfoSchema,
  ProblemSchema,
  ReadySchema,
  ReviewItemSchema,
  ReviewListSchema,
  ReviewPrioritySchema,
  type RequestSchemas,
} from './schemas.js';
import { opsPaths, opsSchemas } from './openapi-ops.js';

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const json = (id: string) => ({ 'application/json': { schema: ref(id) } });
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: ref('Problem') } } });

const SECURED = [{ bearer: [] }, { apiKey: [] }];
const AUTH_ERRORS = { 401: problem('Missing or unknown API key (WWW-Authenticate says which)'), 429: problem('Rate limit exceeded; Retry-After gives the seconds to wait') };
const BODY_ERRORS = {
  400: problem('Invalid JSON, invalid UTF-8, or invalid fields (`errors` names each field and the reason)'),
  413: problem('Body over the byte limit, or a batch over server.maxBatch items'),
  415: problem('Content-Type is not application/json (UTF-8)'),
};

/**
 * The OpenAPI 3.1 document, generated from the same zod schemas that validate requests (JSON
 * Schema 2020-12 is OpenAPI 3.1's dialect, so zod's output is used as is).
 */
export function buildOpenApi(s: RequestSchemas, o: { version: string; authEnabled: boolean }): Record<string, unknown> {
  // a registry of our own: ids name the components and become $refs between them
  const registry = z.registry<{ id: string }>();
  const named: [string, z.ZodType][] = [
    ['ClassifyRequest', s.classify],
    ['ClassifyBatchRequest', s.batch],
    ['LabelRequest', s.label],
    ['ClassifyResult', ClassifyResultSchema],
    ['ClassifyBatchResult', ClassifyBatchResultSchema],
    ['Intents', IntentsSchema],
    ['ModelInfo', ModelInfoSchema],
    ['ReviewPriority', ReviewPrioritySchema],
    ['ReviewItem', ReviewItemSchema],
    ['ReviewList', ReviewListSchema],
    ['Health', HealthSchema],
    ['Ready', ReadySchema],
    ['Problem', ProblemSchema],
    ...opsSchemas(),
  ];
  for (const [id, schema] of named) registry.add(schema, { id });
  const generated = z.toJSONSchema(registry, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any', uri: (id) => `#/components/schemas/${id}` });
  const schemas = Object.fromEntries(Object.entries(generated.schemas).map(([k, v]) => [k, strip(v)]));

  const query = z.toJSONSchema(s.reviewQuery, { io: 'input' }) as { properties: Record<string, Record<string, unknown>> };
  const reviewParams = Object.entries(query.properties).map(([name, schema]) => ({ name, in: 'query', required: false, schema: strip(schema), ...(schema.description ? { description: schema.description } : {}) }));
  const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
  // /v1 always declares the API-key schemes, so a client generated from any server's document is
  // the production contract; whether this server enforces them is said in info.description
  const secured = { security: SECURED };
  const open = { security: [] };

  const reviewAction = (summary: string, body?: string) => ({
    post: {
      tags: ['review'],
      summary,
      operationId: summary.split(' ')[0].toLowerCase() + 'ReviewItem',
      parameters: [idParam],
      ...(body ? { requestBody: { required: true, content: json(body) } } : {}),
      ...secured,
      responses: { 200: { description: 'The updated item', content: json('ReviewItem') }, ...BODY_ERRORS, ...AUTH_ERRORS, 404: problem('No review item with this id'), 409: problem('The item is in a state that does not allow this (e.g. claimed by someone else)'), 503: problem('No review store configured or reachable') },
    },
  });

  return {
    openapi: '3.1.0',
    info: {
      title: 'IntentOps API',
      version: o.version,
      description:
        'Hybrid intent classification: a calibrated classifier answers confident messages, an LLM the unsure ones, and a human review queue the rest. ' +
        'Errors are application/problem+json (RFC 9457). /healthz, /readyz, /metrics, /openapi.json, /docs and /dashboard/ need no API key. ' +
        (o.authEnabled
          ? 'This server requires an API key on every /v1 route.'
          : 'This server runs without API keys (server.apiKeys is empty): /v1 routes accept requests without one.'),
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: '/' }],
    tags: [
      { name: 'classify', description: 'Classify customer messages: the local model answers confident ones, the LLM fallback or the review queue the rest' },
      { name: 'model', description: 'The model being served and its intents' },
      { name: 'review', description: 'The human review queue: unsure messages, claimed and labelled by reviewers (labels become training examples)' },
      { name: 'feedback', description: 'Corrections and ratings of served predictions' },
      { name: 'monitoring', description: 'Drift, quality, LLM budget and tracked training or evaluation runs' },
      { name: 'rollout', description: 'Shadow, canary and A/B rollout of a challenger model, promotion and rollback' },
      { name: 'operations', description: 'Health, readiness, metrics, this document, its interactive page and the dashboard (no API key)' },
    ],
    paths: {
      '/v1/classify': {
        post: {
          tags: ['classify'],
          summary: 'Classify one message',
          operationId: 'classify',
          requestBody: { required: true, content: json('ClassifyRequest') },
          ...secured,
          responses: { 200: { description: 'The answer, or the best guess and where it went', content: json('ClassifyResult') }, ...BODY_ERRORS, ...AUTH_ERRORS, 503: problem('A dependency (review store) is unavailable') },
        },
      },
      '/v1/classify/batch': {
        post: {
          tags: ['classify'],
          summary: 'Classify up to server.maxBatch messages',
          operationId: 'classifyBatch',
          requestBody: { required: true, content: json('ClassifyBatchRequest') },
          ...secured,
          responses: { 200: { description: 'One result per item, in order', content: json('ClassifyBatchResult') }, ...BODY_ERRORS, ...AUTH_ERRORS, 503: problem('A dependency is unavailable') },
        },
      },
      '/v1/intents': { get: { tags: ['model'], summary: "The served model's intents", operationId: 'listIntents', ...secured, responses: { 200: { description: 'Intents', content: json('Intents') }, ...AUTH_ERRORS } } },
      '/v1/models/current': { get: { tags: ['model'], summary: 'The served model', operationId: 'currentModel', ...secured, responses: { 200: { description: 'Model', content: json('ModelInfo') }, ...AUTH_ERRORS } } },
      '/v1/review': {
        get: {
          tags: ['review'],
          summary: 'List review items: open and claimed ones by priority (expected value of a label), others oldest first (paged)',
          operationId: 'listReviewItems',
          parameters: reviewParams,
          ...secured,
          responses: { 200: { description: 'A page of items', content: json('ReviewList') }, 400: BODY_ERRORS[400], ...AUTH_ERRORS, 503: problem('No review store configured or reachable') },
        },
      },
      '/v1/review/claim-next': {
        post: {
          tags: ['review'],
          summary: 'Claim the open item with the highest priority (204 when nothing is open)',
          operationId: 'claimNextReviewItem',
          ...secured,
          responses: { 200: { description: 'The claimed item', content: json('ReviewItem') }, 204: { description: 'No open item' }, ...BODY_ERRORS, ...AUTH_ERRORS, 503: problem('No review store configured or reachable') },
        },
      },
      '/v1/review/{id}/claim': reviewAction('Claim an item for review'),
      '/v1/review/{id}/label': reviewAction('Label an item with the correct intent (it becomes a training example)', 'LabelRequest'),
      '/v1/review/{id}/skip': reviewAction('Skip an item'),
      ...opsPaths({ json, problem, secured, AUTH_ERRORS, BODY_ERRORS }),
      '/healthz': { get: { tags: ['operations'], summary: 'Liveness', operationId: 'healthz', ...open, responses: { 200: { description: 'The process is up', content: json('Health') } } } },
      '/readyz': {
        get: { tags: ['operations'], summary: 'Readiness: model loaded and stores reachable', operationId: 'readyz', ...open, responses: { 200: { description: 'Ready', content: json('Ready') }, 503: problem('Not ready; `checks` says which dependency failed') } },
      },
      '/metrics': { get: { tags: ['operations'], summary: 'Prometheus metrics', operationId: 'metrics', ...open, responses: { 200: { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
      '/openapi.json': { get: { tags: ['operations'], summary: 'This document', operationId: 'openapi', ...open, responses: { 200: { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } } } } },
      '/docs': { get: { tags: ['operations'], summary: 'Interactive documentation (Swagger UI, served locally)', operationId: 'docs', ...open, responses: { 200: { description: 'HTML', content: { 'text/html': { schema: { type: 'string' } } } } } } },
    },
    components: {
      schemas,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <API key> (one of server.apiKeys / INTENTOPS_API_KEYS)' },
        apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'x-api-key: <API key>, the same keys as bearer' },
      },
    },
  };
}

/** Drops `$schema` and `$id` (the document's dialect and the component name cover them). */
function strip(schema: unknown): Record<string, unknown> {
  const { $schema: _s, $id: _i, ...rest } = schema as Record<string, unknown>;
  return rest;
}
