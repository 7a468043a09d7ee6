import { z } from 'zod';
import { IntentOpsError } from '../../core/errors.js';
import type { ClusterNameAnswer, ClusterNameRequest, ClusterNamer } from '../../ports/cluster-namer.js';
import { LlmAnswerError } from '../../ports/llm.js';
import { parseNamingAnswer, namingResponseFormat, renderNamingPrompt, NAMING_PROMPT_VERSION } from './naming-prompt.js';
import { parseOptions, type OpenAiChatOptions } from './options.js';
import { DEFAULT_PRICES, type PriceTable } from './pricing.js';
import { ProviderBackoff, sharedProviderBackoff } from './provider-backoff.js';
import { CircuitBreaker, ConcurrencyLimiter } from './resilience.js';
import { callChat, chatBody, clientClock, endpointOf, replyUsage, type ChatEndpoint, type Clock } from './transport.js';
import type { LlmDeps } from './openai-chat.js';

/**
 * Cluster naming over the OpenAI chat-completions wire format (same servers and options as the
 * fallback): its own prompt (naming-prompt.ts), its own deadline (naming runs in `discover`, off
 * the serving path, and may take longer than a fallback), its own circuit breaker and a small
 * concurrency cap — a naming burst never takes the fallback's slots — and the provider back-off
 * shared with every other client of the same provider. Cost comes from the same price table.
 *
 * @example
 *   const namer = await openaiClusterNamer.create({ baseUrl: 'http://localhost:11434/v1', model: 'llama3.2' });
 *   const { name } = await namer.nameCluster({ representatives: ['I lost my card', 'my card is lost'], terms: ['card', 'lost'], existingIntents: ['balance'] });
 */

export const NamingOptions = z.strictObject({
  /** The whole naming of one cluster: queue wait, attempts and retry waits. */
  deadlineMs: z.number().int().min(1).default(20_000),
  /** A name is a few tokens. */
  maxTokens: z.number().int().min(8).max(512).default(32),
  maxConcurrent: z.number().int().min(1).max(16).default(2),
});
export type NamingOptions = z.output<typeof NamingOptions>;


export class OpenAiClusterNamer implements ClusterNamer {
  readonly name = 'openai-chat';
  readonly promptVersion = NAMING_PROMPT_VERSION;
  private readonly endpoint: ChatEndpoint;
  private readonly clock: Clock;
  private readonly breaker: CircuitBreaker;
  private readonly limiter: ConcurrencyLimiter;
  private readonly prices: PriceTable;
  private readonly backoff: ProviderBackoff;

  constructor(
    private readonly o: OpenAiChatOptions,
    private readonly n: NamingOptions,
    deps: LlmDeps = {},
  ) {
    this.endpoint = endpointOf(o);
    this.backoff = deps.backoff ?? (deps.now || deps.sleep ? new ProviderBackoff() : sharedProviderBackoff);
    this.clock = clientClock(deps);
    const where = `${this.endpoint.url} (cluster naming)`;
    this.breaker = new CircuitBreaker(o.circuit, this.clock.now, where, deps.onCircuit ? (c) => deps.onCircuit!({ ...c, where }) : undefined);
    this.limiter = new ConcurrencyLimiter(n.maxConcurrent, 64, where);
    this.prices = Object.freeze({ ...DEFAULT_PRICES, ...o.prices });
  }

  get circuit() {
    return this.breaker.state;
  }

  /** The chat-completions request body for `req` (exported for tests). */
  requestBody(req: ClusterNameRequest): Record<string, unknown> {
    const { system, user } = renderNamingPrompt(req);
    return chatBody(this.o, this.n.maxTokens, system, user, namingResponseFormat(this.o.responseFormat), req.requestId);
  }

  async nameCluster(req: ClusterNameRequest, signal?: AbortSignal): Promise<ClusterNameAnswer> {
    if (req.representatives.length === 0) throw new IntentOpsError('invalid_input', 'a cluster to name needs at least one message', { where: 'nameCluster.representatives' });
    const t0 = this.clock.now();
    const deadline = t0 + this.n.deadlineMs;
    const body = JSON.stringify(this.requestBody(req));
    this.breaker.check();
    const release = await this.limiter.acquire(signal, deadline - this.clock.now());
    try {
      const reply = await callChat(this.endpoint, body, this.o, this.clock, this.breaker, signal, deadline, this.backoff);
      const { model, usage } = replyUsage(reply, this.prices, this.o);
      const choice = reply.choices[0];
      if (choice.message.refusal) throw new LlmAnswerError('the model refused to name the cluster', usage, model, this.endpoint.url);
      const name = parseNamingAnswer(choice.message.content ?? '', { usage, model, where: this.endpoint.url });
      return { name, model, usage, latencyMs: this.clock.now() - t0 };
    } finally {
      release();
    }
  }
}

export const openaiClusterNamer = Object.freeze({
  description: 'cluster naming over OpenAI chat completions (OpenAI, Azure OpenAI, Ollama, vLLM, compatible servers)',
  /** `options`: the chat adapter's options (model, baseUrl, apiKey, azure, prices, retries, circuit, …); `naming`: deadlineMs, maxTokens, maxConcurrent. */
  async create(options: Record<string, unknown>, naming: Partial<NamingOptions> = {}, deps: LlmDeps = {}): Promise<OpenAiClusterNamer> {
    const { promptFile: _p, variant: _v, ...chat } = options as Record<string, unknown> & { promptFile?: unknown; variant?: unknown };
    const o = parseOptions(chat);
    const n = NamingOptions.safeParse(naming);
    if (!n.success) {
      const issue = n.error.issues[0]!;
      throw new IntentOpsError('invalid_config', issue.message, { where: ['llm.naming', ...issue.path.map(String)].join('.'), hint: 'options: deadlineMs, maxTokens, maxConcurrent' });
    }
    return new OpenAiClusterNamer(o, n.data, deps);
  },
});
