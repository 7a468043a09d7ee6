import { SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import { IntentOpsError } from '../../core/errors.js';
import { LlmTimeout, type Llm, type LlmAnswer, type LlmRequest, type LlmUsage } from '../../ports/llm.js';
import { parseOptions, type OpenAiChatOptions, type OpenAiChatOptionsInput } from './options.js';
import { LlmAnswerError, parseAnswer } from './parse.js';
import { loadPromptTemplate, NONE, renderPrompt, staticPart, type PromptTemplate } from './prompt.js';
import { DEFAULT_PRICES, type PriceTable } from './pricing.js';
import { ProviderBackoff, sharedProviderBackoff } from './provider-backoff.js';
import { CircuitBreaker, ConcurrencyLimiter, QUEUE_WAIT_HINT, type CircuitChange, type CircuitState } from './resilience.js';
import { callChat, chatBody, clientClock, endpointOf, replyUsage, type ChatEndpoint, type ChatReply, type Clock } from './transport.js';

/** A queued call is sent only with at least this share of its deadline left (less cannot carry an answer back). */
const MIN_LEFT_TO_SEND = 0.1;

/**
 * The LLM fallback over the OpenAI chat-completions wire format: OpenAI, Azure OpenAI, Ollama,
 * vLLM and other compatible servers.
 *
 * @example
 *   const llm = await openaiChatLlm.create({ model: 'gpt-4o-mini', apiKey: process.env.OPENAI_API_KEY });
 *   const local = await openaiChatLlm.create({ model: 'llama3.2', baseUrl: 'http://localhost:11434/v1', responseFormat: 'json_object' });
 *   const azure = await openaiChatLlm.create({ apiKey: key, azure: { endpoint: 'https://my-res.openai.azure.com', deployment: 'gpt-4o-mini' } });
 *   const { intent, usage } = await llm.classify({ text: 'I was charged twice', intents: [{ name: 'billing' }, { name: 'refund' }], examples: [] });
 */

/** Clock, sleep and randomness, injectable for tests; `onCircuit` hears every change of the circuit breaker's state (for the log). */
export type LlmDeps = Partial<Clock> & {
  readonly onCircuit?: (change: CircuitChange & { readonly where: string }) => void;
  /** The per-provider back-off shared with the other clients (default: the process-wide one). */
  readonly backoff?: ProviderBackoff;
};

export interface LlmStats {
  readonly circuit: CircuitState;
  readonly consecutiveFailures: number;
  readonly inFlight: number;
  readonly queued: number;
  readonly promptVersion: string;
  /** The variant label answers carry. */
  readonly variant: string;
}


function responseFormat(o: OpenAiChatOptions, names: readonly string[]): Record<string, unknown> {
  if (o.responseFormat === 'json_object') return { response_format: { type: 'json_object' } };
  if (o.responseFormat === 'none') return {};
  const schema = {
    type: 'object',
    properties: { intent: { type: 'string', enum: [...names, NONE] } },
    required: ['intent'],
    additionalProperties: false,
  };
  return { response_format: { type: 'json_schema', json_schema: { name: 'intent_classification', strict: true, schema } } };
}

export class OpenAiChatLlm implements Llm {
  readonly name = 'openai-chat';
  /** The variant label every answer carries: `o.variant`, else the template's version. */
  readonly variant: string;
  private readonly endpoint: ChatEndpoint;
  private readonly clock: Clock;
  private readonly breaker: CircuitBreaker;
  private readonly limiter: ConcurrencyLimiter;
  private readonly prices: PriceTable;
  private readonly backoff: ProviderBackoff;
  /** The `llm.chat` span's fixed attributes (OTel GenAI conventions). */
  private readonly spanAttributes: Attributes;
  private readonly formats = new WeakMap<LlmRequest['intents'], Record<string, unknown>>();
  /** requestJson's serialised body around the user turn, per frozen intent list. */
  private readonly frames = new WeakMap<LlmRequest['intents'], { head: string; tail: string }>();

  constructor(
    private readonly o: OpenAiChatOptions,
    private readonly template: PromptTemplate,
    deps: LlmDeps = {},
  ) {
    this.endpoint = endpointOf(o);
    this.variant = o.variant ?? template.version;
    // holds are times on the client's clock: a client given its own clock (tests) cannot share the process-wide one
    this.backoff = deps.backoff ?? (deps.now || deps.sleep ? new ProviderBackoff() : sharedProviderBackoff);
    this.clock = clientClock(deps);
    const where = this.endpoint.url;
    this.breaker = new CircuitBreaker(o.circuit, this.clock.now, where, deps.onCircuit ? (c) => deps.onCircuit!({ ...c, where }) : undefined);
    this.limiter = new ConcurrencyLimiter(o.maxConcurrent, o.maxQueue, this.endpoint.url);
    this.prices = Object.freeze({ ...DEFAULT_PRICES, ...o.prices });
    const url = new URL(this.endpoint.url);
    const system = this.endpoint.azure ? 'az.ai.openai' : 'openai';
    this.spanAttributes = Object.freeze({
      'gen_ai.operation.name': 'chat',
      'gen_ai.system': system,
      'gen_ai.provider.name': this.endpoint.azure ? 'azure.ai.openai' : 'openai',
      'gen_ai.request.model': o.model ?? o.azure?.deployment ?? 'unknown',
      'gen_ai.request.temperature': o.temperature,
      'gen_ai.request.max_tokens': o.maxTokens,
      'server.address': url.hostname,
      'server.port': Number(url.port) || (url.protocol === 'https:' ? 443 : 80),
      'intentops.llm.prompt_version': template.version,
      'intentops.llm.variant': o.variant ?? template.version,
    });
  }

  /** The response_format member for a (frozen) intents array, built once per array like the prompt's intent list. */
  private responseFormat(intents: LlmRequest['intents']): Record<string, unknown> {
    let f = this.formats.get(intents);
    if (f === undefined) {
      f = responseFormat(this.o, intents.map((i) => i.name));
      if (Object.isFrozen(intents)) this.formats.set(intents, f);
    }
    return f;
  }

  /** For /metrics and /readyz: circuit state and load. */
  stats(): LlmStats {
    return {
      circuit: this.breaker.state,
      consecutiveFailures: this.breaker.consecutiveFailures,
      inFlight: this.limiter.inFlight,
      queued: this.limiter.queued,
      promptVersion: this.template.version,
      variant: this.variant,
    };
  }

  /** The chat-completions request body for `req` (exported for tests and debugging). */
  requestBody(req: LlmRequest): Record<string, unknown> {
    const { system, user } = renderPrompt(this.template, req, this.o);
    return this.bodyOf(req.intents, system, user, req.requestId);
  }

  private bodyOf(intents: LlmRequest['intents'], system: string, user: string, requestId: string | undefined): Record<string, unknown> {
    return chatBody(this.o, this.o.maxTokens, system, user, this.responseFormat(intents), requestId);
  }

  /**
   * `requestBody(req)` as JSON text. For a frozen intent list and a system turn that only lists
   * the intents (the shipped template), everything but the user turn — the system prompt with
   * its intent list, the options and the JSON schema, a few KB — is serialised once per list.
   */
  requestJson(req: LlmRequest): string {
    if (!Object.isFrozen(req.intents) || !staticPart(this.template.system)) return JSON.stringify(this.requestBody(req));
    const { system, user } = renderPrompt(this.template, req, this.o);
    let frame = this.frames.get(req.intents);
    if (!frame) {
      const mark = JSON.stringify('\u0000user turn\u0000');
      const json = JSON.stringify(this.bodyOf(req.intents, system, JSON.parse(mark) as string, undefined));
      const at = json.indexOf(mark);
      frame = { head: json.slice(0, at), tail: json.slice(at + mark.length) };
      this.frames.set(req.intents, frame);
    }
    const tail = req.requestId === undefined ? frame.tail : `${frame.tail.slice(0, -1)},"user":${JSON.stringify(req.requestId.slice(0, 64))}}`;
    return frame.head + JSON.stringify(user) + tail;
  }

  /**
   * Asks the model. Traced as one `llm.chat` client span (queue wait, retries and parsing
   * included) with model, token usage, cost, retries and outcome — never the prompt, the message
   * or the answer text, and no error messages (a server may echo the request in them).
   */
  async classify(req: LlmRequest, signal?: AbortSignal): Promise<LlmAnswer> {
    const span = trace.getTracer('intentops').startSpan('llm.chat', { kind: SpanKind.CLIENT, attributes: this.spanAttributes });
    if (!span.isRecording()) {
      try {
        return await this.run(req, signal, this.clock);
      } finally {
        span.end();
      }
    }
    let retries = 0;
    // every backoff sleep precedes one retry: counting them counts the retries
    const clock: Clock = { ...this.clock, sleep: (ms, s) => this.clock.sleep(ms, s).then(() => void retries++) };
    const stage = { at: 'prepare' as Stage };
    try {
      const answer = await this.run(req, signal, clock, stage);
      setUsage(span, answer.usage, answer.model);
      span.setAttribute('intentops.llm.outcome', answer.intent === null ? 'none' : 'answered');
      return answer;
    } catch (e) {
      if (e instanceof LlmAnswerError && e.usage) setUsage(span, e.usage, e.model);
      span.setAttribute('intentops.llm.outcome', e instanceof LlmTimeout ? 'timeout' : OUTCOME[stage.at]);
      span.setAttribute('error.type', e instanceof IntentOpsError ? e.code : (e as Error).name);
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw e;
    } finally {
      span.setAttribute('intentops.llm.retries', retries);
      span.end();
    }
  }

  private async run(req: LlmRequest, signal: AbortSignal | undefined, clock: Clock, stage?: { at: Stage }): Promise<LlmAnswer> {
    const t0 = this.clock.now();
    // one deadline for the whole fallback: queue wait, every attempt and every retry wait
    const deadline = t0 + this.o.deadlineMs;
    const body = this.requestJson(req);
    if (stage) stage.at = 'circuit';
    this.breaker.check(); // fail fast before taking a queue place
    if (stage) stage.at = 'queue';
    const release = await this.limiter.acquire(signal, deadline - this.clock.now()).catch((e: unknown) => {
      if (e instanceof IntentOpsError) throw e;
      throw new IntentOpsError('unavailable', 'LLM call aborted by the caller while queued', { where: this.endpoint.url, cause: e });
    });
    // a slot that freed with almost none of the deadline left: a call sent now would be cut off
    // before it could answer, and the provider may still bill its prompt
    const left = deadline - this.clock.now();
    if (left < this.o.deadlineMs * MIN_LEFT_TO_SEND) {
      release();
      throw new LlmTimeout(`the deadline passed before the call could be sent: ${Math.max(0, Math.round(left))} ms of llm.deadlineMs ${this.o.deadlineMs} left after the queue wait (under ${MIN_LEFT_TO_SEND * 100} %)`, false, {
        where: this.endpoint.url,
        hint: QUEUE_WAIT_HINT,
      });
    }
    try {
      if (stage) stage.at = 'call';
      const reply = await callChat(this.endpoint, body, this.o, clock, this.breaker, signal, deadline, this.backoff);
      if (stage) stage.at = 'answer';
      return this.answer(reply, req, t0);
    } finally {
      release();
    }
  }

  private answer(reply: ChatReply, req: LlmRequest, t0: number): LlmAnswer {
    const { model, usage } = replyUsage(reply, this.prices, this.o);
    const choice = reply.choices[0];
    const ctx = { usage, model, where: this.endpoint.url };
    if (choice.message.refusal) throw new LlmAnswerError('the model refused to answer', usage, model, ctx.where);
    const content = choice.message.content ?? '';
    if (choice.finish_reason === 'length' && !content.includes('}')) {
      throw new LlmAnswerError(`the answer was cut at maxTokens (${this.o.maxTokens})`, usage, model, ctx.where);
    }
    // Parse failures are the model's doing (often provoked by the message), not the server's:
    // they go to review but leave the circuit alone.
    const intent = parseAnswer(content, req.intents.map((i) => i.name), this.o.responseFormat, ctx);
    return { intent, model, variant: this.variant, usage, latencyMs: this.clock.now() - t0 };
  }
}

/** Where a failed call stopped: the span's outcome. */
type Stage = 'prepare' | 'circuit' | 'queue' | 'call' | 'answer';
const OUTCOME: Readonly<Record<Stage, string>> = Object.freeze({ prepare: 'not_sent', circuit: 'circuit_open', queue: 'queue_rejected', call: 'failed', answer: 'bad_answer' });

function setUsage(span: Span, u: LlmUsage, model: string | undefined): void {
  span.setAttributes({ 'gen_ai.usage.input_tokens': u.promptTokens, 'gen_ai.usage.output_tokens': u.completionTokens, 'intentops.llm.cost_usd': u.costUsd });
  if (model !== undefined) span.setAttribute('gen_ai.response.model', model);
}

export const openaiChatLlm = Object.freeze({
  description: 'OpenAI chat completions: OpenAI, Azure OpenAI, Ollama, vLLM or any compatible server (network)',
  /** Validates the options and loads the prompt template, so mistakes fail at start-up. */
  async create(options: OpenAiChatOptionsInput | Record<string, unknown> = {}, deps: LlmDeps = {}): Promise<OpenAiChatLlm> {
    const o = parseOptions(options);
    return new OpenAiChatLlm(o, await loadPromptTemplate(o.promptFile), deps);
  },
});
