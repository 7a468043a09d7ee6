import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import { IntentOpsError } from '../../core/errors.js';
import { LlmTimeout } from '../../ports/llm.js';
import type { OpenAiChatOptions } from './options.js';
import { postJson, PostTimeout, type PostReply } from './http-post.js';
import type { ProviderBackoff } from './provider-backoff.js';
import { costUsd, priceOf, type PriceTable } from './pricing.js';
import { backoffMs, retryAfterMs, type CircuitBreaker } from './resilience.js';

/**
 * The wire side of the chat adapter: one POST to a chat-completions route, retried on 429, 5xx,
 * timeouts and network errors with full-jitter backoff or the server's Retry-After.
 *
 * Plain HTTP (node:http with a keep-alive pool, see http-post.ts), not the official `openai` SDK: the SDK is a large dependency for this one
 * endpoint, and its built-in retries (own backoff, own timeouts) would run underneath our
 * circuit breaker and concurrency cap, where one slot could silently hold several attempts.
 * Here every attempt, wait and timeout is visible to the caller and to tests.
 */

/**
 * One chat-completions request body: the model (omitted for Azure, whose deployment names it),
 * the system and user messages, sampling settings, the response format, and the request id as
 * the `user` field (at most 64 characters), shared by the fallback and the cluster namer.
 */
export function chatBody(
  o: { readonly model?: string; readonly temperature: number },
  maxTokens: number,
  system: string,
  user: string,
  responseFormat: Record<string, unknown>,
  requestId: string | undefined,
): Record<string, unknown> {
  return {
    ...(o.model === undefined ? {} : { model: o.model }),
    messages: [
      { role: 'system', content: system },
      { role: 'user', content: user },
    ],
    temperature: o.temperature,
    max_tokens: maxTokens,
    ...responseFormat,
    ...(requestId === undefined ? {} : { user: requestId.slice(0, 64) }),
  };
}

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  random(): number;
}

export interface ChatEndpoint {
  /** Full URL, query string included. Holds no secret. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Scrubbed from any server text we pass on (OpenAI echoes wrong keys in 401 messages). */
  readonly secret?: string;
  readonly azure: boolean;
  /** The provider, for the shared back-off: the base URL (OpenAI-compatible) or the Azure resource endpoint. */
  readonly provider: string;
}

type Retry = Pick<OpenAiChatOptions, 'timeoutMs' | 'maxRetries' | 'retryBaseMs' | 'retryMaxMs' | 'maxRetryAfterMs'>;

export function endpointOf(o: OpenAiChatOptions): ChatEndpoint {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (o.azure) {
    const { endpoint, deployment, apiVersion, azureAdToken } = o.azure;
    if (azureAdToken) headers.authorization = `Bearer ${azureAdToken}`;
    else if (o.apiKey) headers['api-key'] = o.apiKey;
    const base = `${endpoint.replace(/\/+$/, '')}/openai/deployments/${encodeURIComponent(deployment)}/chat/completions`;
    return { url: `${base}?api-version=${encodeURIComponent(apiVersion)}`, headers, secret: azureAdToken ?? o.apiKey, azure: true, provider: endpoint.replace(/\/+$/, '') };
  }
  if (o.apiKey) headers.authorization = `Bearer ${o.apiKey}`;
  return { url: `${o.baseUrl.replace(/\/+$/, '')}/chat/completions`, headers, secret: o.apiKey, azure: false, provider: o.baseUrl.replace(/\/+$/, '') };
}

function scrub(text: string, ep: ChatEndpoint): string {
  return ep.secret ? text.split(ep.secret).join('***') : text;
}

async function serverMessage(res: PostReply, ep: ChatEndpoint): Promise<string> {
  const text = await res.text().catch(() => '');
  let msg: unknown;
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    msg = typeof body.error === 'string' ? body.error : (body.error?.message ?? body.message);
  } catch {
    // not JSON: use the raw text
  }
  return scrub(typeof msg === 'string' && msg ? msg : text.slice(0, 300) || res.statusText, ep);
}

function rejected(ep: ChatEndpoint, status: number, message: string): IntentOpsError {
  const config = status === 401 || status === 403 || status === 404;
  return new IntentOpsError(config ? 'invalid_config' : 'invalid_input', `chat request rejected: HTTP ${status}: ${message}`, {
    where: ep.url,
    hint: config
      ? 'check the API key, baseUrl and model (or the Azure endpoint, deployment and apiVersion)'
      : 'the server refused this request (e.g. too long, or an option it does not support such as responseFormat); its message says why',
  });
}

function retryable(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/**
 * POSTs `body` and returns the parsed JSON of a 2xx reply. Throws IntentOpsError: `unavailable`
 * when retries are spent or the caller aborted, `invalid_config` for 401/403/404 and
 * `invalid_input` for other 4xx (not retried); LlmTimeout when the last attempt timed out or
 * `deadline` (a `clock.now()` time) came: every attempt's timeout and every retry wait fit
 * before it, so a hung server costs the caller at most the deadline, not attempts × timeout.
 */
export async function postChat(ep: ChatEndpoint, body: string, r: Retry, clock: Clock, signal?: AbortSignal, deadline = Infinity, backoff?: ProviderBackoff): Promise<unknown> {
  const timedOut = (attempts: number, why: string) =>
    new LlmTimeout(`LLM call gave up after ${attempts} attempt(s): ${why}`, attempts > 0, {
      where: ep.url,
      hint: 'the LLM server is too slow or hung; the message goes to review (raise llm.deadlineMs if the model is just slow)',
    });
  let ownHold = -Infinity;
  for (let attempt = 0; ; attempt++) {
    let problem: string;
    let wait: number | undefined;
    let timeout = false;
    let slowDown = false;
    // the provider asked someone (this client or another variant calling it) to slow down: wait with them
    // (a hold this call set itself was already waited out by its own retry pause)
    const until = backoff?.heldUntil(ep.provider, clock.now());
    const held = until !== undefined && until > ownHold ? until - clock.now() : 0;
    if (held > 0) {
      if (clock.now() + held >= deadline) throw timedOut(attempt, `the provider asked to slow down for ${Math.ceil(held)} ms more (HTTP 429/503 to a client of ${ep.provider}), past the deadline`);
      try {
        await clock.sleep(held, signal);
      } catch (e) {
        throw new IntentOpsError('unavailable', 'LLM call aborted by the caller', { where: ep.url, cause: e });
      }
    }
    const left = deadline - clock.now();
    if (left <= 0) throw timedOut(attempt, 'the deadline passed before the call could be sent');
    const attemptMs = Math.max(1, Math.min(r.timeoutMs, Math.ceil(left)));
    try {
      const res = await postJson(ep.url, ep.headers, body, attemptMs, signal);
      if (res.ok) {
        const text = await res.text();
        try {
          return JSON.parse(text);
        } catch {
          throw new IntentOpsError('unavailable', 'unexpected chat response: the body is not JSON', { where: ep.url, hint: 'check baseUrl: the server does not speak the chat-completions format' });
        }
      }
      const message = await serverMessage(res, ep);
      if (!retryable(res.status)) throw rejected(ep, res.status, message);
      problem = `HTTP ${res.status}: ${message}`;
      wait = retryAfterMs(res.headers, clock.now());
      slowDown = res.status === 429 || res.status === 503;
    } catch (e) {
      if (e instanceof IntentOpsError) throw e;
      if (signal?.aborted) throw new IntentOpsError('unavailable', 'LLM call aborted by the caller', { where: ep.url, cause: e });
      const err = e as Error;
      const cause = (err.cause as Error | undefined)?.message;
      timeout = e instanceof PostTimeout;
      problem = timeout ? `${err.message}${attemptMs < r.timeoutMs ? ' (the rest of the deadline)' : ''}` : cause ? `${err.message}: ${cause}` : err.message;
    }
    const give = (why: string) =>
      new IntentOpsError('unavailable', `LLM call failed after ${attempt + 1} attempt(s): ${why}`, {
        where: ep.url,
        hint: 'the LLM server is down, overloaded or rate-limiting; the message goes to review',
      });
    const pause = wait ?? backoffMs(attempt, r.retryBaseMs, r.retryMaxMs, clock.random);
    // rate limited or overloaded: every client of this provider holds off together (bounded by the back-off's maxHoldMs)
    if (backoff && slowDown) ownHold = backoff.hold(ep.provider, clock.now() + pause, clock.now());
    if (timeout && (attempt >= r.maxRetries || clock.now() >= deadline)) throw timedOut(attempt + 1, problem);
    if (attempt >= r.maxRetries) throw give(problem);
    if (wait !== undefined && wait > r.maxRetryAfterMs) throw give(`${problem}; the server asks to retry after ${Math.ceil(wait)} ms (over maxRetryAfterMs ${r.maxRetryAfterMs})`);
    // a retry that could not even start before the deadline is not worth the wait
    if (clock.now() + pause >= deadline) throw timedOut(attempt + 1, `${problem}; no time left for a retry before the deadline`);
    try {
      await clock.sleep(pause, signal);
    } catch (e) {
      throw new IntentOpsError('unavailable', 'LLM call aborted by the caller', { where: ep.url, cause: e });
    }
  }
}

/** A chat-completions reply, as far as the clients read it. */
export const ChatReply = z.object({
  model: z.string().optional(),
  choices: z
    .array(
      z.object({
        message: z.object({ content: z.string().nullish(), refusal: z.string().nullish() }),
        finish_reason: z.string().nullish(),
      }),
    )
    .min(1),
  usage: z.object({ prompt_tokens: z.number().int().min(0), completion_tokens: z.number().int().min(0).default(0) }).nullish(),
});
export type ChatReply = z.infer<typeof ChatReply>;

/** A client's clock: the injected parts (tests), else the process's time, timers and randomness. */
export function clientClock(deps: Partial<Clock>): Clock {
  return {
    now: deps.now ?? Date.now,
    sleep: deps.sleep ?? ((ms, signal) => delay(ms, undefined, { signal })),
    random: deps.random ?? Math.random,
  };
}

/**
 * One chat call through `breaker` (postChat, then the reply's shape checked). Only signs of an
 * unhealthy server count as failures: a 400 is about this request (e.g. a huge message), not the
 * server, so it must not let one sender open the circuit for everyone; an aborted call counts
 * neither way. A timeout is a failure like any other: a hung server opens the circuit.
 */
export async function callChat(
  ep: ChatEndpoint,
  body: string,
  r: Retry,
  clock: Clock,
  breaker: CircuitBreaker,
  signal: AbortSignal | undefined,
  deadline: number,
  backoff: ProviderBackoff,
): Promise<ChatReply> {
  const permit = breaker.enter();
  try {
    const json = await postChat(ep, body, r, clock, signal, deadline, backoff);
    const reply = ChatReply.safeParse(json);
    if (!reply.success) {
      throw new IntentOpsError('unavailable', `unexpected chat response: ${reply.error.issues[0]?.message ?? 'bad shape'} at ${reply.error.issues[0]?.path.join('.')}`, {
        where: ep.url,
        hint: 'check baseUrl: the server does not speak the chat-completions format',
      });
    }
    permit.succeeded();
    return reply.data;
  } catch (e) {
    if (signal?.aborted) permit.abandoned();
    else if (e instanceof IntentOpsError && e.code === 'invalid_input') permit.succeeded();
    else permit.failed();
    throw e;
  }
}

/** The model that answered (else the configured model or Azure deployment) and the reply's usage priced from `prices`. */
export function replyUsage(
  reply: ChatReply,
  prices: PriceTable,
  o: Pick<OpenAiChatOptions, 'model' | 'azure'>,
): { model: string; usage: { promptTokens: number; completionTokens: number; costUsd: number } } {
  const promptTokens = reply.usage?.prompt_tokens ?? 0;
  const completionTokens = reply.usage?.completion_tokens ?? 0;
  return {
    model: reply.model ?? o.model ?? o.azure?.deployment ?? 'unknown',
    usage: { promptTokens, completionTokens, costUsd: costUsd(priceOf(prices, reply.model, o.model), promptTokens, completionTokens) },
  };
}
