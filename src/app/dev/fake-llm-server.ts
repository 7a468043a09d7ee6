import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readNamingPrompt } from '../../adapters/llm/naming-prompt.js';
import { readRenderedPrompt, type PromptContent } from '../../adapters/llm/prompt.js';
import type { ClusterNameRequest } from '../../ports/cluster-namer.js';

/**
 * A real HTTP server speaking the OpenAI chat-completions wire format, for tests and for users
 * trying the LLM fallback offline (`intentops dev fake-llm`). Routes: `POST /v1/chat/completions`
 * (OpenAI, Ollama, vLLM style), `POST /openai/deployments/{name}/chat/completions?api-version=`
 * (Azure), `GET /v1/models`. It reads the prompt IntentOps renders (same delimiters, via
 * `readRenderedPrompt`) and answers:
 *   - by default, the intent whose name and example texts share the most words with the message
 *     (`none` when nothing is shared): a deterministic toy;
 *   - in oracle mode, the true label of a known text with probability `accuracy` (fixed per text
 *     and seed), else a plausible wrong one: to project accuracy and cost of a real LLM;
 *   - or as scripted per request: latency, 429 with Retry-After, 5xx, hangs, raw content, labels.
 * A cluster-naming request (the `name-cluster-v1` prompt of intent discovery) is answered with
 * `{"name": …}`: the two words most of the cluster's messages share (`fakeClusterName`), or a
 * scripted `name`.
 *
 * @example
 *   const fake = await startFakeLlm({ latencyMs: 20 });
 *   fake.script({ status: 429, retryAfter: '1', times: 2 }, { content: 'not json' });
 *   const llm = await createLlm('openai-chat', { baseUrl: fake.baseUrl, model: 'fake' });
 *   await fake.close();
 */

export interface FakeLlmRequest {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  readonly query: Record<string, string>;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
}

/** What the server understood of a request's prompt. */
export interface SeenPrompt extends PromptContent {
  /** False when the prompt was not rendered by IntentOps: `message` is then the last user turn. */
  readonly rendered: boolean;
}

/** How to answer the next request(s). Without status/hang/content/intent/reply: the normal answer. */
export interface FakeLlmStep {
  /** Requests this step answers. Default 1. */
  readonly times?: number;
  readonly latencyMs?: number;
  /** Answer with this HTTP error status (429, 500, 503, ...). */
  readonly status?: number;
  /** `Retry-After` header (seconds or an HTTP date) and `retry-after-ms` header. */
  readonly retryAfter?: string;
  readonly retryAfterMs?: number;
  /** Never answer (until the client gives up or the server closes). */
  readonly hang?: boolean;
  /** The assistant content, verbatim (e.g. malformed JSON, two labels). */
  readonly content?: string;
  /** Answer this label, in or out of the set, formatted as the request asked. */
  readonly intent?: string;
  /** Answer a cluster-naming request with this name, verbatim (e.g. an existing intent, or not snake_case). */
  readonly name?: string;
  /** Content computed from the prompt (e.g. a gullible model obeying the message). */
  readonly reply?: (prompt: SeenPrompt) => string;
  readonly usage?: { readonly promptTokens: number; readonly completionTokens: number };
}

export interface OracleOptions {
  /** Message text → true label. */
  readonly labels: ReadonlyMap<string, string> | Readonly<Record<string, string>>;
  /** Probability of answering the true label, in [0, 1]. */
  readonly accuracy: number;
  readonly seed?: number | string;
}

export interface FakeLlmOptions {
  /** Default 0 (any free port). */
  readonly port?: number;
  readonly host?: string;
  /** When set, requests need `Authorization: Bearer <key>` or (Azure) `api-key: <key>`. */
  readonly apiKey?: string;
  /** Added to every answer. */
  readonly latencyMs?: number;
  /** Reported when the request names none (Azure). Default `fake-llm`. */
  readonly model?: string;
  readonly oracle?: OracleOptions;
  /**
   * Behaviour per requested model name (the body's `model`, or the Azure deployment), over the
   * defaults above: one server can play several LLMs with their own accuracy, latency, token
   * usage and failure modes. A model not listed gets the defaults.
   */
  readonly models?: Readonly<Record<string, FakeModel>>;
}

/** How one named model of the fake server answers (see FakeLlmOptions.models). */
export interface FakeModel {
  readonly latencyMs?: number;
  readonly oracle?: OracleOptions;
  /** The assistant content computed from the prompt (e.g. a label, or malformed output). */
  readonly reply?: (prompt: SeenPrompt) => string;
  readonly usage?: { readonly promptTokens: number; readonly completionTokens: number };
}

export interface FakeLlm {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** `url + '/v1'`: the `baseUrl` for the adapter. */
  readonly baseUrl: string;
  readonly port: number;
  /** Every request received, in order. */
  readonly requests: FakeLlmRequest[];
  /** Requests being answered now, and the most at once since start. */
  readonly inFlight: number;
  readonly maxInFlight: number;
  /** Queue steps for the next requests, in order. */
  script(...steps: FakeLlmStep[]): void;
  close(): Promise<void>;
}

const STOP = new Set(['the', 'and', 'for', 'you', 'your', 'with', 'this', 'that', 'was', 'are', 'not', 'have', 'has', 'but', 'can', 'please']);

function words(text: string): Set<string> {
  return new Set(text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((w) => w.length > 2 && !STOP.has(w)));
}

/** The toy answer: most words shared with the intent's name and examples; `none` if no overlap. */
export function toyAnswer(p: PromptContent): string {
  const msg = words(p.message);
  let best = 'none';
  let bestScore = 0;
  for (const { name } of p.intents) {
    const vocab = new Set([...words(name.replace(/[_-]+/g, ' ')), ...p.examples.filter((e) => e.intent === name).flatMap((e) => [...words(e.text)])]);
    const score = [...msg].filter((w) => vocab.has(w)).length;
    if (score > bestScore) [best, bestScore] = [name, score];
  }
  return best;
}

/**
 * The fake's name for a cluster: the words (3+ letters, not stop words) found in the most of its
 * messages, ties in alphabetical order, the top two joined by `_` (one when only one word is
 * shared by two or more messages); `unnamed_cluster` when none is. Deterministic.
 */
export function fakeClusterName(req: ClusterNameRequest): string {
  const df = new Map<string, number>();
  for (const t of req.representatives) for (const w of words(t)) if (/^\p{L}+$/u.test(w)) df.set(w, (df.get(w) ?? 0) + 1);
  const need = req.representatives.length >= 2 ? 2 : 1;
  const top = [...df]
    .filter(([, n]) => n >= need)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, 2)
    .map(([w]) => w)
    .sort();
  return top.length ? top.join('_') : 'unnamed_cluster';
}

/** Uniform in [0, 1), fixed by seed and text. */
function unitHash(seed: number | string, text: string): number {
  return createHash('sha256').update(`${seed}\u0000${text}`).digest().readUIntBE(0, 6) / 2 ** 48;
}

/** The oracle's answer, or undefined for a text it has no label for. */
export function oracleAnswer(p: PromptContent, oracle: OracleOptions): string | undefined {
  const labels = oracle.labels;
  const get = (t: string) => (labels instanceof Map ? labels.get(t) : Object.hasOwn(labels, t) ? (labels as Record<string, string>)[t] : undefined);
  const truth = get(p.message) ?? get(p.message.trim());
  if (truth === undefined) return undefined;
  if (unitHash(oracle.seed ?? 0, p.message) < oracle.accuracy) return truth;
  // Wrong the way a real model is: a neighbour's label, else another listed intent.
  return p.examples.find((e) => e.intent !== truth)?.intent ?? p.intents.find((i) => i.name !== truth)?.name ?? 'none';
}

interface ChatBody {
  model?: unknown;
  messages?: { role?: unknown; content?: unknown }[];
  response_format?: { type?: unknown; json_schema?: { schema?: { properties?: { intent?: { enum?: unknown } } } } };
}

function seenPrompt(body: ChatBody): SeenPrompt {
  const turns = (body.messages ?? []).filter((m) => typeof m.content === 'string');
  const read = readRenderedPrompt(turns.map((m) => m.content as string).join('\n'));
  if (read) return { ...read, rendered: true };
  const lastUser = [...turns].reverse().find((m) => m.role === 'user');
  const en = body.response_format?.json_schema?.schema?.properties?.intent?.enum;
  const names = Array.isArray(en) ? en.filter((n): n is string => typeof n === 'string' && n !== 'none') : [];
  return { message: String(lastUser?.content ?? ''), intents: names.map((name) => ({ name })), examples: [], rendered: false };
}

/** A label formatted as the request asked: a bare object in JSON modes, a sentence otherwise. */
function formatLabel(label: string, body: ChatBody): string {
  const json = JSON.stringify({ intent: label });
  const t = body.response_format?.type;
  return t === 'json_schema' || t === 'json_object' ? json : `The intent is ${json}.`;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed || res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function sendError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { error: { message, type: status === 429 ? 'rate_limit_exceeded' : 'invalid_request_error', param: null, code: null } }, headers);
}

/** The per-model behaviour a request asks for, if the server was given one for its model. */
function modelOf(req: FakeLlmRequest, opts: FakeLlmOptions): FakeModel | undefined {
  if (!opts.models) return undefined;
  const azure = /^\/openai\/deployments\/([^/]+)\/chat\/completions$/.exec(req.path)?.[1];
  const body = req.body as ChatBody | undefined;
  const name = typeof body?.model === 'string' ? body.model : azure === undefined ? undefined : decodeURIComponent(azure);
  return name !== undefined && Object.hasOwn(opts.models, name) ? opts.models[name] : undefined;
}

export async function startFakeLlm(opts: FakeLlmOptions = {}): Promise<FakeLlm> {
  const requests: FakeLlmRequest[] = [];
  const steps: FakeLlmStep[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let served = 0;

  function nextStep(): FakeLlmStep {
    const head = steps[0];
    if (!head) return {};
    if ((head.times ?? 1) <= 1) steps.shift();
    else steps[0] = { ...head, times: (head.times ?? 1) - 1 };
    return head;
  }

  function answer(req: FakeLlmRequest, step: FakeLlmStep, res: ServerResponse): void {
    const azure = /^\/openai\/deployments\/([^/]+)\/chat\/completions$/.exec(req.path);
    if (req.method === 'GET' && req.path === '/v1/models') {
      return sendJson(res, 200, { object: 'list', data: [{ id: opts.model ?? 'fake-llm', object: 'model', owned_by: 'intentops' }] });
    }
    if (req.method !== 'POST' || !(azure || req.path === '/v1/chat/completions' || req.path === '/chat/completions')) {
      return sendError(res, 404, `no route for ${req.method} ${req.path}`);
    }
    if (azure && !req.query['api-version']) return sendError(res, 400, 'Missing required query parameter: api-version');
    if (opts.apiKey !== undefined) {
      const bearer = req.headers.authorization?.replace(/^Bearer /, '');
      if (bearer !== opts.apiKey && !(azure && req.headers['api-key'] === opts.apiKey)) {
        return sendError(res, 401, `Incorrect API key provided: ${String(bearer ?? req.headers['api-key'])}.`);
      }
    }
    if (step.status) {
      const h: Record<string, string> = {};
      if (step.retryAfter !== undefined) h['retry-after'] = step.retryAfter;
      if (step.retryAfterMs !== undefined) h['retry-after-ms'] = String(step.retryAfterMs);
      return sendError(res, step.status, `scripted failure ${step.status}`, h);
    }
    const body = req.body as ChatBody | undefined;
    if (!body || !Array.isArray(body.messages) || body.messages.length === 0) return sendError(res, 400, "'messages' must be a non-empty array");
    if (!azure && typeof body.model !== 'string') return sendError(res, 400, 'you must provide a model parameter');
    const naming = readNamingPrompt(body.messages.map((m) => (typeof m.content === 'string' ? m.content : '')).join('\n'));
    const named = modelOf(req, opts);
    const seen = seenPrompt(body);
    const oracle = named?.oracle ?? opts.oracle;
    const decide = () => (oracle ? oracleAnswer(seen, oracle) : undefined) ?? toyAnswer(seen);
    const reply = step.reply ?? (step.intent === undefined ? named?.reply : undefined);
    const content = step.content ?? (naming ? JSON.stringify({ name: step.name ?? fakeClusterName(naming) }) : reply ? reply(seen) : formatLabel(step.intent ?? decide(), body));
    const promptChars = body.messages.reduce((n, m) => n + (typeof m.content === 'string' ? m.content.length : 0), 0);
    const usage = step.usage ?? named?.usage ?? { promptTokens: Math.ceil(promptChars / 4), completionTokens: Math.ceil(content.length / 4) };
    served++;
    sendJson(res, 200, {
      id: `chatcmpl-fake-${served}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: typeof body.model === 'string' ? body.model : (opts.model ?? azure?.[1] ?? 'fake-llm'),
      choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, finish_reason: 'stop' }],
      usage: { prompt_tokens: usage.promptTokens, completion_tokens: usage.completionTokens, total_tokens: usage.promptTokens + usage.completionTokens },
    });
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      let body: unknown;
      try {
        body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
      } catch {
        return sendError(res, 400, 'the body is not valid JSON');
      }
      const recorded: FakeLlmRequest = { method: req.method ?? '', path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, body };
      requests.push(recorded);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      res.on('close', () => inFlight--);
      const step = nextStep();
      if (step.hang) return;
      const wait = step.latencyMs ?? modelOf(recorded, opts)?.latencyMs ?? opts.latencyMs ?? 0;
      if (wait > 0) setTimeout(() => answer(recorded, step, res), wait);
      else answer(recorded, step, res);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host ?? '127.0.0.1';
  let closing: Promise<void> | undefined;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    url,
    baseUrl: `${url}/v1`,
    port,
    requests,
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    script(...more) {
      steps.push(...more);
    },
    close() {
      // Idempotent: tests may close early and again in afterEach.
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
