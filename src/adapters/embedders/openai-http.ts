import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { IntentOpsError } from '../../core/errors.js';

/** The wire side of the OpenAI embeddings adapter: one POST, retried with backoff. */

export interface Endpoint {
  /** Full URL of the embeddings route, query string included. Holds no secret. */
  readonly url: string;
  readonly azure: boolean;
  readonly apiKey?: string;
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly retryBaseMs: number;
}

const Reply = z.object({
  data: z.array(z.object({ index: z.number().int().min(0), embedding: z.array(z.number()) })),
});

/** Longest wait we accept from a server's Retry-After before retrying anyway. */
const MAX_RETRY_AFTER_MS = 60_000;
const MAX_BACKOFF_MS = 20_000;

function headers(ep: Endpoint): Record<string, string> {
  const h: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (ep.apiKey !== undefined) {
    if (ep.azure) h['api-key'] = ep.apiKey;
    else h.authorization = `Bearer ${ep.apiKey}`;
  }
  return h;
}

/** Servers echo keys in error text (OpenAI: "Incorrect API key provided: ..."); never pass one on. */
function scrub(text: string, ep: Endpoint): string {
  return ep.apiKey ? text.split(ep.apiKey).join('***') : text;
}

async function serverMessage(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const msg = typeof body.error === 'string' ? body.error : (body.error?.message ?? body.message);
    if (typeof msg === 'string' && msg) return msg;
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.slice(0, 500) || res.statusText;
}

/** `retry-after-ms` (OpenAI) or `Retry-After` in seconds or as an HTTP date. */
export function retryAfterMs(h: Headers, now = Date.now()): number | undefined {
  const ms = Number(h.get('retry-after-ms') ?? NaN);
  if (Number.isFinite(ms) && ms >= 0) return Math.min(ms, MAX_RETRY_AFTER_MS);
  const raw = h.get('retry-after');
  if (raw === null) return undefined;
  const secs = Number(raw);
  const wait = Number.isFinite(secs) ? secs * 1000 : Date.parse(raw) - now;
  return Number.isFinite(wait) ? Math.min(Math.max(wait, 0), MAX_RETRY_AFTER_MS) : undefined;
}

function backoffMs(ep: Endpoint, attempt: number): number {
  const step = Math.min(ep.retryBaseMs * 2 ** attempt, MAX_BACKOFF_MS);
  return step / 2 + Math.random() * (step / 2); // jitter keeps parallel clients from retrying in lockstep
}

function rejected(ep: Endpoint, status: number, statusText: string, message: string): IntentOpsError {
  const auth = status === 401 || status === 403;
  const hint = auth
    ? 'check the API key and that it may use this model/deployment'
    : status === 404
      ? 'check baseUrl, model, or the Azure endpoint/deployment/apiVersion'
      : 'the server rejected the request; its message says why';
  return new IntentOpsError(
    auth || status === 404 ? 'invalid_config' : 'invalid_input',
    `embeddings request rejected: HTTP ${status}${statusText ? ` ${statusText}` : ''}: ${scrub(message, ep)}`,
    { where: ep.url, hint },
  );
}

function malformed(ep: Endpoint, why: string): IntentOpsError {
  return new IntentOpsError('unavailable', `unexpected embeddings response: ${why}`, {
    where: ep.url,
    hint: 'the server does not speak the OpenAI embeddings format; check baseUrl',
  });
}

/** Vectors as the server sent them (not normalised), in input order (by `index`). */
function decode(ep: Endpoint, json: unknown, count: number): number[][] {
  const r = Reply.safeParse(json);
  if (!r.success) throw malformed(ep, r.error.issues[0]?.message ?? 'bad shape');
  const out = new Array<number[]>(count);
  for (const item of r.data.data) {
    if (item.index >= count || out[item.index]) throw malformed(ep, `bad or repeated index ${item.index}`);
    out[item.index] = item.embedding;
  }
  if (r.data.data.length !== count) throw malformed(ep, `${r.data.data.length} vectors for ${count} inputs`);
  return out;
}

/** POSTs one batch; retries 429, 5xx, timeouts and network errors; fails at once on other 4xx. */
export async function requestEmbeddings(ep: Endpoint, body: { input: string[] } & Record<string, unknown>): Promise<number[][]> {
  const payload = JSON.stringify(body);
  for (let attempt = 0; ; attempt++) {
    let problem: string;
    let wait: number | undefined;
    try {
      const res = await fetch(ep.url, {
        method: 'POST',
        headers: headers(ep),
        body: payload,
        signal: AbortSignal.timeout(ep.timeoutMs),
      });
      if (res.ok) return decode(ep, await res.json().catch(() => undefined), body.input.length);
      const message = await serverMessage(res);
      if (res.status !== 429 && res.status < 500) throw rejected(ep, res.status, res.statusText, message);
      problem = `HTTP ${res.status}: ${scrub(message, ep)}`;
      wait = retryAfterMs(res.headers);
    } catch (e) {
      if (e instanceof IntentOpsError) throw e;
      const err = e as Error;
      const cause = (err.cause as Error | undefined)?.message;
      problem = err.name === 'TimeoutError' ? `no answer within ${ep.timeoutMs} ms` : cause ? `${err.message}: ${cause}` : err.message;
    }
    if (attempt >= ep.maxRetries) {
      throw new IntentOpsError('unavailable', `embeddings request failed after ${attempt + 1} attempt(s): ${problem}`, {
        where: ep.url,
        hint: 'the server is down, overloaded or rate-limiting; try later, or raise maxRetries/timeoutMs',
      });
    }
    await sleep(wait ?? backoffMs(ep, attempt));
  }
}
