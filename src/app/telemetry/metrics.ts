import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { queuedForLlmCheck, type ClassifyObserver, type ClassifyResult, type LlmEvent } from '../classify/service.js';
import { joinClusterMetrics } from './cluster.js';

const SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The service's Prometheus series, on a registry of its own (several apps can live in one
 * process, as in tests). Also the ClassifyService observer: route mix, LLM calls, tokens and
 * cost, cache hits and misses are counted from each result.
 *
 * @example
 *   const m = new ServiceMetrics({ cacheEnabled: true });
 *   const service = new ClassifyService({ model, observer: m });
 *   res.end(await m.registry.metrics());
 */
export class ServiceMetrics implements ClassifyObserver {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly classifications: Counter<'route' | 'reason'>;
  readonly llmCalls: Counter<'model' | 'outcome'>;
  readonly llmSkipped: Counter<'reason'>;
  readonly outOfScope: Counter<'source'>;
  readonly llmTokens: Counter<'model' | 'kind'>;
  readonly llmCost: Counter<'model'>;
  readonly llmDuration: Histogram<'model'>;
  readonly cacheLookups: Counter<'result'>;
  readonly reviewQueued: Counter<'reason'>;
  readonly contested: Counter;
  readonly modelInfo: Gauge<'name' | 'version'>;

  constructor(private readonly o: { cacheEnabled?: boolean; processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.httpRequests = new Counter({ name: 'intentops_http_requests_total', help: 'HTTP requests by method, route pattern and status', labelNames: ['method', 'route', 'status'], registers });
    this.httpDuration = new Histogram({ name: 'intentops_http_request_duration_seconds', help: 'HTTP request latency by method, route pattern and status', labelNames: ['method', 'route', 'status'], buckets: SECONDS, registers });
    this.classifications = new Counter({ name: 'intentops_classifications_total', help: 'Classified messages by route (accepted, llm, review) and reason', labelNames: ['route', 'reason'], registers });
    this.llmCalls = new Counter({ name: 'intentops_llm_calls_total', help: 'LLM calls made, by outcome (answered, none, error, timeout)', labelNames: ['model', 'outcome'], registers });
    this.llmSkipped = new Counter({ name: 'intentops_llm_skipped_total', help: 'LLM fallbacks never sent, by reason (circuit_open, queue_full, deadline: no slot before llm.deadlineMs, budget)', labelNames: ['reason'], registers });
    this.outOfScope = new Counter({ name: 'intentops_out_of_scope_total', help: 'Messages answered as out of scope, by who said so (model: an out-of-scope label or the novelty detector; llm: the LLM said none)', labelNames: ['source'], registers });
    this.llmTokens = new Counter({ name: 'intentops_llm_tokens_total', help: 'LLM tokens by kind (prompt, completion)', labelNames: ['model', 'kind'], registers });
    this.llmCost = new Counter({ name: 'intentops_llm_cost_usd_total', help: 'LLM cost in US dollars, from the configured price table', labelNames: ['model'], registers });
    this.llmDuration = new Histogram({ name: 'intentops_llm_request_duration_seconds', help: 'LLM call latency', labelNames: ['model'], buckets: SECONDS, registers });
    this.cacheLookups = new Counter({ name: 'intentops_cache_lookups_total', help: 'Answer cache lookups by result (hit, miss)', labelNames: ['result'], registers });
    this.reviewQueued = new Counter({ name: 'intentops_review_queued_total', help: 'Messages queued for human review, by reason', labelNames: ['reason'], registers });
    this.contested = new Counter({ name: 'intentops_contested_total', help: 'Confident messages sent to the LLM because their intent is contested (llm.contested: the LLM lately named intents the model does not know for messages guessed as it)', registers });
    // under node:cluster gauges are combined across workers: a model is served if any worker serves it
    this.modelInfo = new Gauge({ name: 'intentops_model_info', help: 'The model being served (value 1)', labelNames: ['name', 'version'], registers, aggregator: 'max' });
    if (o.processMetrics ?? true) {
      collectDefaultMetrics({ register: this.registry, prefix: 'intentops_' });
      // prom-client also exports the sums of the per-type gauges `…_active_{handles,requests,resources}`
      // as gauges ending in `_total`, the suffix Prometheus reserves for counters (`promtool check
      // metrics` rejects them): drop those; sum(intentops_nodejs_active_handles) is the same figure.
      for (const what of ['handles', 'requests', 'resources']) this.registry.removeSingleMetric(`intentops_nodejs_active_${what}_total`);
    }
  }

  setModel(m: { name: string; version: string }): void {
    this.modelInfo.reset();
    this.modelInfo.set(m, 1);
  }

  /** Circuit state and load of the LLM fallback, read at scrape time. */
  trackLlm(stats: () => { circuit: string; inFlight: number; queued: number }): void {
    const registers = [this.registry];
    new Gauge({
      name: 'intentops_llm_circuit_open',
      help: 'LLM circuit breaker: 1 open (calls go straight to review), 0.5 half-open, 0 closed',
      registers,
      aggregator: 'max',
      collect() {
        const c = stats().circuit;
        this.set(c === 'open' ? 1 : c === 'half-open' ? 0.5 : 0);
      },
    });
    new Gauge({
      name: 'intentops_llm_in_flight',
      help: 'LLM calls in flight (state=running) and waiting for a slot (state=queued)',
      labelNames: ['state'],
      registers,
      collect() {
        const s = stats();
        this.set({ state: 'running' }, s.inFlight);
        this.set({ state: 'queued' }, s.queued);
      },
    });
  }

  observeHttp(method: string, route: string, status: number, seconds: number): void {
    const labels = { method, route, status: String(status) };
    this.httpRequests.inc(labels);
    this.httpDuration.observe(labels, seconds);
  }

  onResult(r: ClassifyResult): void {
    this.classifications.inc({ route: r.route, reason: r.reason });
    if (r.outOfScope) this.outOfScope.inc({ source: r.route === 'llm' ? 'llm' : 'model' });
    if (this.o.cacheEnabled) this.cacheLookups.inc({ result: r.cached ? 'hit' : 'miss' });
    if (r.cached) return; // a cached answer called nobody
    if (r.local.reason === 'contested') this.contested.inc();
    if (r.review) this.reviewQueued.inc({ reason: queuedForLlmCheck(r) ? 'llm_check' : r.reason });
  }

  /** LLM calls made (with their usage, billed even when the answer was unusable) and fallbacks never sent. */
  onLlm(e: LlmEvent): void {
    if (!e.called) {
      this.llmSkipped.inc({ reason: e.skipped });
      return;
    }
    const model = e.model;
    this.llmCalls.inc({ model, outcome: e.outcome });
    this.llmDuration.observe({ model }, e.latencyMs / 1000);
    if (e.usage) {
      this.llmTokens.inc({ model, kind: 'prompt' }, e.usage.promptTokens);
      this.llmTokens.inc({ model, kind: 'completion' }, e.usage.completionTokens);
      this.llmCost.inc({ model }, e.usage.costUsd);
    }
  }

  private scrape: () => Promise<string> = () => this.registry.metrics();

  /** In a node:cluster worker: every scrape reports all workers, aggregated by the primary. */
  joinCluster(): void {
    this.scrape = joinClusterMetrics(this.registry);
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.scrape() };
  }
}
