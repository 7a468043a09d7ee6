import { z } from 'zod';

/**
 * Request and response shapes of the HTTP API: requests are validated with them, responses
 * are described by them, and /openapi.json is generated from both. Request objects are strict
 * (an unknown field is a 400 naming it); limits come from the server configuration.
 */
export interface Limits {
  readonly maxTextLength: number;
  readonly maxBatch: number;
}

const ID = /^[\w.:@-]{1,128}$/;
const METADATA_KEYS = 32;
/** A UTF-16 surrogate without its partner: valid in a JSON escape, not valid Unicode. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function requestSchemas(l: Limits) {
  const text = z
    .string({ error: (i) => (i.input === undefined ? 'required' : `must be a string, got ${typeOf(i.input)}`) })
    .min(1, { error: 'must not be empty', abort: true })
    .max(l.maxTextLength, { error: (i) => `is ${(i.input as string).length} characters; the limit is ${l.maxTextLength} (server.maxTextLength): shorten the message`, abort: true })
    .refine((s) => s.trim().length > 0, 'must not be only whitespace')
    .refine((s) => !LONE_SURROGATE.test(s), 'contains an unpaired UTF-16 surrogate (e.g. "\\ud800"): send valid Unicode')
    .meta({ description: `The customer message, 1–${l.maxTextLength} characters, not only whitespace.` });
  const classify = z
    .strictObject({
      text,
      id: z.string().regex(ID, 'must be 1–128 letters, digits or _ . : @ -').optional().meta({ description: "Your id for the message; echoed back. A UUID is generated when it's absent." }),
      metadata: z
        .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))
        .refine((m) => Object.keys(m).length <= METADATA_KEYS, `at most ${METADATA_KEYS} keys`)
        .optional()
        .meta({ description: 'Flat key → scalar map, echoed back untouched; never logged.' }),
    });
  const batch = z
    .strictObject({
      items: z.array(classify).min(1, 'must hold at least one item').meta({ description: `1–${l.maxBatch} messages (server.maxBatch); more is 413.` }),
    });
  const reviewQuery = z
    .strictObject({
      state: z.enum(['open', 'claimed', 'labelled', 'skipped']).default('open'),
      limit: z.coerce.number<string>().int('must be an integer').min(1).max(500).default(50),
      after: z.string().min(1).max(128).optional().meta({ description: 'Items created after this review id (use `next` from the previous page); pages the created order only.' }),
      order: z
        .enum(['priority', 'created'])
        .optional()
        .meta({ description: 'priority: highest expected value first (each item\'s `priority` says why), the default for open and claimed items without `after`; created: oldest first, paged with `after`/`next`, the default otherwise.' }),
    });
  const label = z.strictObject({
    label: z.string({ error: (i) => (i.input === undefined ? 'required' : 'must be a string') }).min(1, 'must not be empty').meta({ description: "One of the model's intents, `out_of_scope` for a message that is none of ours, or a new intent name with `newIntent: true`." }),
    newIntent: z.boolean().optional().meta({ description: 'The label names an intent the model does not have yet: retraining makes it a class once it has 5 labels.' }),
  });
  /** Claim and skip take no fields: an empty body or `{}`. */
  const empty = z.strictObject({});
  return { classify, batch, reviewQuery, label, empty };
}

export type RequestSchemas = ReturnType<typeof requestSchemas>;

/**
 * The classify body most requests send — `{ text }` or `{ text, id }`, both valid — checked
 * without zod, to the object the schema would return; anything else (metadata, an unknown
 * field, any rule not met) gives undefined and is left to the schema, which names the error.
 */
export function plainClassifyBody(l: Limits): (json: unknown) => { text: string; id?: string } | undefined {
  return (json) => {
    if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
    let fields = 0;
    for (const k in json) {
      if (k !== 'text' && k !== 'id') return undefined;
      fields++;
    }
    const { text, id } = json as { text?: unknown; id?: unknown };
    if (typeof text !== 'string' || text.length < 1 || text.length > l.maxTextLength || text.trim().length === 0 || LONE_SURROGATE.test(text)) return undefined;
    if (id === undefined) return fields === 1 ? { text } : undefined;
    return typeof id === 'string' && ID.test(id) ? { text, id } : undefined;
  };
}

function typeOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

// --- responses (documentation and tests) ---

const scored = z.object({ intent: z.string(), score: z.number() });

export const ClassifyResultSchema = z
  .object({
    id: z.string(),
    intent: z.string().meta({ description: 'The answer (accepted, llm) or the best guess (review).' }),
    confidence: z
      .number()
      .min(0)
      .max(1)
      .nullable()
      .meta({ description: "The calibrated probability of `intent`: the local model's on routes accepted and review; null on route llm, where the LLM chose the intent and gives no probability (the local model's own figures are in `local`)." }),
    local: z
      .object({
        intent: z.string(),
        confidence: z.number().min(0).max(1),
        reason: z.string().optional().meta({ description: "The local model's own routing reason: confident (it answered), low_confidence, low_margin, knn_disagrees, unfamiliar, out_of_scope, or contested (confident, but the LLM has lately been naming intents the model does not know for messages guessed as this intent, so it asked the LLM; llm.contested)." }),
      })
      .meta({ description: "The local model's top intent, its calibrated probability and its routing reason, whatever the route (on route llm they may differ from the answer)." }),
    route: z.enum(['accepted', 'llm', 'review']),
    reason: z.string().meta({ description: 'confident, llm_answered, out_of_scope (the LLM or the novelty detector found no intent of ours), low_confidence, low_margin, knn_disagrees, llm_failed, llm_timeout (llm.deadlineMs passed), llm_budget, …' }),
    outOfScope: z.boolean(),
    alternatives: z.array(scored).meta({ description: 'Top intents with their probabilities.' }),
    neighbours: z.array(z.object({ text: z.string(), intent: z.string(), score: z.number() })).meta({ description: 'Nearest labelled training examples (for messages that were not accepted).' }),
    model: z.object({ name: z.string(), version: z.string() }).meta({ description: 'The answering model: registry name and version number when served from the registry, else the bundle name and a hash of its weights.' }),
    variant: z.enum(['champion', 'challenger']).meta({ description: 'Which side of a rollout answered (always champion without a canary or A/B rollout).' }),
    llm: z
      .object({
        model: z.string(),
        variant: z.string().meta({ description: 'The LLM variant that answered: `NAME@VERSION` of a registered variant (e.g. `classify-v2@3`), else the prompt file\'s version (e.g. `classify-v1`).' }),
        promptTokens: z.number().int(),
        completionTokens: z.number().int(),
        costUsd: z.number(),
        latencyMs: z.number(),
      })
      .optional()
      .meta({ description: 'Present when the LLM fallback answered this request: the model, the LLM variant, tokens, cost and latency.' }),
    review: z
      .object({ id: z.string(), pending: z.literal(true).optional().meta({ description: 'The review store is away: the item waits in a local spool under this id and is written when it is back.' }) })
      .optional()
      .meta({ description: 'Present when the message was queued for human review (absent when the open queue is full: review.maxOpen).' }),
    cached: z.boolean(),
    timings: z.object({ modelMs: z.number(), llmMs: z.number(), totalMs: z.number() }),
    metadata: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
  });

export const ClassifyBatchResultSchema = z.object({ items: z.array(ClassifyResultSchema) });

export const IntentsSchema = z
  .object({
    model: z.object({ name: z.string(), version: z.string() }),
    intents: z.array(z.object({ name: z.string(), outOfScope: z.boolean() })),
  });

export const ModelInfoSchema = z
  .object({
    name: z.string(),
    version: z.string(),
    createdAt: z.string(),
    embedder: z.string(),
    dataHash: z.string(),
    intents: z.number().int(),
    targetPrecision: z.number(),
    routing: z.object({ minConfidence: z.number(), minMargin: z.number(), requireKnnAgreement: z.boolean() }),
    llmFallback: z.boolean(),
  });

export const ReviewPrioritySchema = z
  .object({
    score: z.number().meta({ description: 'messages × doubt × weight × ageFactor; higher is served first (equal scores oldest first).' }),
    messages: z.number().meta({ description: 'Messages the label settles (near-duplicates grouped into this item), each halving in weight after 7 days.' }),
    count: z.number().int().meta({ description: 'Messages in all.' }),
    doubt: z.number().meta({ description: '0–1: how likely the model gets such a message wrong or sends it to the LLM: mean of 1 − confidence and 1 − margin (at least 0.05); 1 for audit items.' }),
    weight: z.number().meta({ description: 'What a label is worth for the item\'s reason: llm_* 1, low_confidence/low_margin/knn_disagrees 0.8, unfamiliar 0.6, out_of_scope and audit 0.5.' }),
    ageHours: z.number().meta({ description: 'Hours the item has waited.' }),
    ageFactor: z.number().meta({ description: '2^(ageHours / 24): the score doubles every day of waiting, so nothing waits for ever.' }),
    explanation: z.string().meta({ description: 'The same in words.' }),
  });

export const ReviewItemSchema = z
  .object({
    id: z.string(),
    text: z.string(),
    guess: z.string(),
    confidence: z.number(),
    alternatives: z.array(scored),
    reason: z.string(),
    model: z.object({ name: z.string(), version: z.string() }),
    requestId: z.string().optional(),
    state: z.enum(['open', 'claimed', 'labelled', 'skipped']),
    createdAt: z.string(),
    updatedAt: z.string(),
    claimedBy: z.string().optional(),
    label: z.string().optional(),
    labelledBy: z.string().optional(),
    count: z.number().int().min(1).meta({ description: 'Messages this item stands for: repeats of its normalised text (same model version) while it is open or claimed.' }),
    lastSeenAt: z.string().meta({ description: 'When the latest of those messages came.' }),
    weightedCount: z.number().min(0).optional().meta({ description: 'Those messages weighted by recency as of lastSeenAt (each counts half after 7 days).' }),
    priority: ReviewPrioritySchema.optional().meta({ description: 'Open and claimed items: the expected value of labelling this item, the order the queue is served in.' }),
  });

export const ReviewListSchema = z
  .object({
    items: z.array(ReviewItemSchema),
    next: z.string().optional().meta({ description: 'Pass as `after` for the next page of the created order; absent on the last page and in the priority order.' }),
    open: z.number().int().min(0).meta({ description: 'Open items in the whole queue now (not only this page).' }),
  });

export const HealthSchema = z.object({ status: z.literal('ok') });

export const ReadySchema = z
  .object({
    status: z.enum(['ready', 'degraded', 'unready']).meta({ description: 'degraded: ready, answering without the dependencies listed in `degraded` (see the README operations table).' }),
    checks: z.record(z.string(), z.string()).meta({ description: "Each dependency: 'ok' or what failed." }),
    degraded: z.array(z.string()).optional(),
  });

export const ProblemSchema = z
  .object({
    type: z.string().meta({ description: 'urn:intentops:problem:<slug>' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().meta({ description: 'What was wrong and how to fix it.' }),
    instance: z.string().meta({ description: 'The request path.' }),
    requestId: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional().meta({ description: 'One entry per invalid field (dotted path, e.g. items.3.text).' }),
  });
