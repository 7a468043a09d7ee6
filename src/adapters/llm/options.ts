import { z } from 'zod';
import { IntentOpsError } from '../../core/errors.js';

/** Options of the `openai-chat` LLM adapter, validated once when it is created. */

const Azure = z.strictObject({
  /** `https://<resource>.openai.azure.com` */
  endpoint: z.url(),
  deployment: z.string().min(1),
  apiVersion: z.string().min(1).default('2024-10-21'),
  /** Microsoft Entra ID token, sent as `Authorization: Bearer`; otherwise `apiKey` goes in `api-key`. */
  azureAdToken: z.string().min(1).optional(),
});

const Price = z.strictObject({ inputPer1M: z.number().min(0), outputPer1M: z.number().min(0) });

const Circuit = z.strictObject({
  failureThreshold: z.number().int().min(1).default(5),
  cooldownMs: z.number().int().min(0).default(30_000),
});

const DEFAULT_BASE_URL = 'https://api.openai.com/v1';

export const OpenAiChatOptions = z
  .strictObject({
    /** OpenAI by default; Ollama `http://localhost:11434/v1`, vLLM `http://host:8000/v1`. Ignored with `azure`. */
    baseUrl: z.url().default(DEFAULT_BASE_URL),
    /** Required except with `azure` (the deployment picks the model); also the key of `prices`. */
    model: z.string().min(1).optional(),
    /** Bearer token (OpenAI, vLLM --api-key) or Azure `api-key`. Local servers need none. */
    apiKey: z.string().min(1).optional(),
    azure: Azure.optional(),
    temperature: z.number().min(0).max(2).default(0),
    /** The answer is one short JSON object. */
    maxTokens: z.number().int().min(1).max(4096).default(64),
    /** Per attempt (cut to what is left of deadlineMs). */
    timeoutMs: z.number().int().min(1).default(10_000),
    /** The whole fallback of one message: queue wait, attempts and retry waits. Past it: LlmTimeout (review, reason llm_timeout). */
    deadlineMs: z.number().int().min(1).default(5_000),
    maxRetries: z.number().int().min(0).max(10).default(3),
    /** First backoff step (doubles per retry, full jitter), and the largest step. */
    retryBaseMs: z.number().int().min(0).default(250),
    retryMaxMs: z.number().int().min(0).default(4_000),
    /** A server asking to wait longer than this fails the call at once (a fallback must be quick). */
    maxRetryAfterMs: z.number().int().min(0).default(20_000),
    circuit: Circuit.prefault({}),
    /** Calls in flight at once; more wait in a FIFO queue of at most `maxQueue`, then fail fast. */
    maxConcurrent: z.number().int().min(1).default(8),
    maxQueue: z.number().int().min(0).default(64),
    /** `json_schema`: structured output with an enum of labels; `json_object`: JSON mode; `none`: plain text. */
    responseFormat: z.enum(['json_schema', 'json_object', 'none']).default('json_schema'),
    /** USD per 1M tokens by model, merged over the built-in table. */
    prices: z.record(z.string(), Price).default({}),
    /** Prompt template path; default prompts/classify-v1.md. */
    promptFile: z.string().min(1).optional(),
    /** The variant label every answer carries (e.g. `classify-v2@3` for a registered variant); default: the template's version. */
    variant: z.string().min(1).max(200).optional(),
    /** Longer messages are cut in the prompt (cost and latency are per token). */
    maxMessageChars: z.number().int().min(1).default(4_000),
    /** Nearest labelled examples put in the prompt. */
    maxExamples: z.number().int().min(0).default(10),
  })
  .refine((o) => o.model !== undefined || o.azure !== undefined, { message: "'model' is required (or 'azure' with a deployment)", path: ['model'] })
  .refine((o) => !(o.azure?.azureAdToken && o.apiKey), { message: "give either 'apiKey' or 'azure.azureAdToken', not both", path: ['apiKey'] })
  .refine((o) => o.azure !== undefined || o.apiKey !== undefined || o.baseUrl !== DEFAULT_BASE_URL, {
    message: "'apiKey' is required for api.openai.com (local servers such as Ollama or vLLM need none: set 'baseUrl')",
    path: ['apiKey'],
  });

export type OpenAiChatOptionsInput = z.input<typeof OpenAiChatOptions>;
export type OpenAiChatOptions = z.output<typeof OpenAiChatOptions>;

export const OPTION_HINT =
  'options: model, apiKey, baseUrl, azure {endpoint, deployment, apiVersion, azureAdToken}, temperature, maxTokens, timeoutMs, deadlineMs, ' +
  'maxRetries, retryBaseMs, retryMaxMs, maxRetryAfterMs, circuit {failureThreshold, cooldownMs}, maxConcurrent, maxQueue, ' +
  'responseFormat (json_schema | json_object | none), prices {model: {inputPer1M, outputPer1M}}, promptFile, variant, maxMessageChars, maxExamples';

export function parseOptions(input: unknown): OpenAiChatOptions {
  const r = OpenAiChatOptions.safeParse(input ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  throw new IntentOpsError('invalid_config', issue.message, { where: ['llm.openai-chat', ...issue.path.map(String)].join('.'), hint: OPTION_HINT });
}
