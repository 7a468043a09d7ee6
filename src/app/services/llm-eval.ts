import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { IntentOpsError } from '../../core/errors.js';
import { llmMcNemar, llmVariantMetrics, type LlmEvalRow, type LlmOutcome, type LlmVariantMetrics } from '../../core/eval/llm-metrics.js';
import type { ExactMcNemarResult } from '../../core/eval/mcnemar-exact.js';
import type { LabelledText } from '../../core/types.js';
import { LlmAnswerError, LlmNotCalled, LlmTimeout, type LlmRequest } from '../../ports/llm.js';
import { modelOfVariant, type LlmResponseCache, type LlmVariant, type LlmVariantClient } from '../../ports/llm-variant.js';
import type { TrackingStore } from '../../ports/tracking-store.js';
import { OUT_OF_SCOPE_LABELS, type Classifier, type ModelInfo } from '../classify/model.js';
import { currentEnvironment } from './runs.js';

/*
 * `intentops llm eval`: LLM variants (prompt × model × provider) on the messages the LLM would
 * see. Rows are classified by the bundle at its thresholds; the slice it does not accept (all
 * rows with `all`) goes to every variant through the same chat adapter serving uses, with
 * bounded concurrency, the adapter's retries (429 Retry-After honoured), a response cache and a
 * cost ceiling shared by all variants.
 */

export interface LlmEvalRequest {
  readonly variants: readonly LlmVariant[];
  readonly examples: readonly LabelledText[];
  /** The bundle whose routing picks the slice; its intents and nearest examples go into the prompts. */
  readonly model: Classifier;
  /** Every row to the LLM, not only the slice the bundle would send. */
  readonly all?: boolean;
  /** Calls in flight per variant. Default 4. */
  readonly concurrency?: number;
  /** Stop launching calls when the money spent in this run would pass this (USD). */
  readonly maxCostUsd?: number;
  readonly cache?: LlmResponseCache;
  /** Where API keys are read (by the variable a variant names). */
  readonly env?: NodeJS.ProcessEnv;
  /** Adapter options for the run (timeouts, retries); tests shorten them. */
  readonly tuning?: Readonly<Record<string, unknown>>;
  /**
   * Builds the chat client of a variant (the composition root's `variantClient`): its settings,
   * the API key from `env`, and the call settings in `tuning` (concurrency, retries, timeouts).
   */
  readonly client: (variant: LlmVariant, env: NodeJS.ProcessEnv, tuning: Readonly<Record<string, unknown>>) => LlmVariantClient;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface LlmVariantResult {
  readonly name: string;
  readonly file: string;
  readonly hash: string;
  readonly provider: string;
  readonly model: string;
  readonly metrics: LlmVariantMetrics;
  /** HTTP calls made (cache misses), and answers read from the cache. */
  readonly calls: number;
  readonly cacheHits: number;
  /** Money spent in this run (cache hits cost nothing; `metrics.costUsd` is the variant's cost for the whole slice). */
  readonly spentUsd: number;
  /** Against the first variant (the champion); absent for the champion itself. */
  readonly vsChampion?: (ExactMcNemarResult & { readonly n: number; readonly verdict: string }) | null;
  /** Why this variant stopped before the end (cost ceiling, server unusable). */
  readonly stopped?: string;
}

export interface LlmEvalResult {
  readonly model: ModelInfo;
  readonly rows: number;
  readonly sliceSize: number;
  /** Rows the bundle accepted (answered locally): not sent to the LLM unless `all`. */
  readonly accepted: number;
  readonly all: boolean;
  readonly unknownRows: number;
  readonly partial: boolean;
  readonly stopReason?: string;
  readonly maxCostUsd?: number;
  readonly spentUsd: number;
  readonly concurrency: number;
  readonly variants: LlmVariantResult[];
  readonly testSetHash: string;
  readonly evaluatedAt: string;
}

/** Rows classified per model call (bounded memory for large files). */
const BATCH = 256;

/** What the run keeps per slice row. */
interface SliceItem {
  readonly index: number;
  readonly request: LlmRequest;
}

function costOf(v: LlmVariant, promptTokens: number, completionTokens: number): number {
  return (promptTokens * v.settings.price.inputPer1M + completionTokens * v.settings.price.outputPer1M) / 1_000_000;
}

/** The cache key: what is sent and where (a price change keeps the answers; a prompt, model or parameter change does not). */
function cacheKey(v: LlmVariant, body: string): string {
  const s = v.settings;
  return createHash('sha256')
    .update(JSON.stringify([s.provider, s.baseUrl ?? null, s.endpoint ?? null, s.deployment ?? null, s.apiVersion ?? null]))
    .update('\u0000')
    .update(body)
    .digest('hex');
}

/** The shared spending account of a run: the ceiling covers all variants together. */
class Budget {
  spent = 0;
  private paidCalls = 0;
  private inFlight = 0;
  stopReason: string | undefined;
  constructor(private readonly max: number | undefined) {}

  /** Whether one more paid call may start: spent so far + calls in flight + this one, at the mean cost per call so far, stays within the ceiling. */
  tryStart(): boolean {
    if (this.stopReason) return false;
    if (this.max !== undefined) {
      const mean = this.paidCalls ? this.spent / this.paidCalls : 0;
      if (this.spent >= this.max || this.spent + (this.inFlight + 1) * mean > this.max) {
        this.stopReason = `cost ceiling reached: ${this.spent.toFixed(4)} USD spent of --max-cost-usd ${this.max}; calls not yet made were skipped`;
        return false;
      }
    }
    this.inFlight++;
    return true;
  }

  finish(costUsd: number | undefined): void {
    this.inFlight--;
    if (costUsd !== undefined) {
      this.spent += costUsd;
      this.paidCalls++;
    }
  }
}

function verdictOf(r: ExactMcNemarResult, champion: string, name: string, alpha = 0.05): string {
  const p = r.pValue < 0.001 ? 'p < 0.001' : `p = ${r.pValue.toFixed(3)}`;
  if (r.pValue >= alpha) return `no significant difference from ${champion} (McNemar exact ${p})`;
  return r.b01 > r.b10 ? `${name} is significantly better than ${champion} (McNemar exact ${p})` : `${name} is significantly worse than ${champion} (McNemar exact ${p})`;
}

/**
 * Runs the variants on the slice. Never throws for an LLM failure: a call that fails after its
 * retries is a `failed` row; a misconfigured variant (401/404) or an open circuit stops that
 * variant (marked partial with the reason); the cost ceiling stops all of them.
 */
export async function runLlmEval(req: LlmEvalRequest): Promise<LlmEvalResult> {
  if (!req.variants.length) throw new IntentOpsError('invalid_input', 'no LLM variant to evaluate', { where: '--variants', hint: 'pass one or more variant files, the champion first' });
  const names = new Set<string>();
  for (const v of req.variants) {
    if (names.has(v.name)) throw new IntentOpsError('invalid_input', `two variants are called ${v.name}`, { where: v.file, hint: "give one a 'name:' of its own" });
    names.add(v.name);
  }
  const concurrency = req.concurrency ?? 4;
  const env = req.env ?? process.env;
  // build every adapter first: a missing key fails before any money is spent
  const llms = req.variants.map((v) =>
    req.client(v, env, {
      maxConcurrent: concurrency,
      maxQueue: Math.max(64, req.examples.length),
      timeoutMs: 60_000,
      deadlineMs: 300_000,
      maxRetries: 6,
      maxRetryAfterMs: 120_000,
      circuit: { failureThreshold: 10, cooldownMs: 30_000 },
      ...req.tuning,
    }),
  );

  const model = req.model;
  const manifest = (model as { manifest?: { outOfScopeLabels?: readonly string[] } }).manifest;
  const oosLabels = [...new Set([...(manifest?.outOfScopeLabels ?? []), ...OUT_OF_SCOPE_LABELS.filter((l) => model.labels.includes(l))])];
  const intents = Object.freeze(model.labels.map((name) => Object.freeze({ name })));
  const rows: LlmEvalRow[] = [];
  const slice: SliceItem[] = [];
  for (let at = 0; at < req.examples.length; at += BATCH) {
    const batch = req.examples.slice(at, at + BATCH);
    const preds = await model.classify(
      batch.map((e) => e.text),
      { llmAvailable: true, neighbours: 'auto' },
    );
    preds.forEach((p, j) => {
      const e = batch[j];
      const inSlice = req.all === true || p.route !== 'accepted';
      const known = model.labels.includes(e.label) && !oosLabels.includes(e.label) && !OUT_OF_SCOPE_LABELS.includes(e.label);
      rows.push({ text: e.text, truth: e.label, known, inSlice, local: { intent: p.intent, outOfScope: p.outOfScope || oosLabels.includes(p.intent) } });
      if (inSlice) slice.push({ index: at + j, request: { text: e.text, intents, examples: p.neighbours.map((n) => ({ text: n.text, intent: n.intent })) } });
    });
  }

  const budget = new Budget(req.maxCostUsd);
  const total = slice.length * req.variants.length;
  let done = 0;
  const results = await Promise.all(
    req.variants.map(async (v, vi) => {
      const llm = llms[vi];
      const outcomes: (LlmOutcome | undefined)[] = new Array(rows.length).fill(undefined);
      let calls = 0;
      let cacheHits = 0;
      let spentUsd = 0;
      let stopped: string | undefined;
      let next = 0;
      const worker = async () => {
        while (next < slice.length) {
          const item = slice[next++];
          const body = llm.requestJson(item.request);
          const key = cacheKey(v, body);
          const hit = req.cache?.get(key);
          if (hit) {
            const { model: _m, ...outcome } = hit;
            // the cost of a cached answer is recomputed at the variant's current price
            outcomes[item.index] = { ...outcome, costUsd: costOf(v, outcome.promptTokens, outcome.completionTokens) };
            cacheHits++;
            req.onProgress?.(++done, total);
            continue;
          }
          if (stopped || !budget.tryStart()) {
            stopped ??= budget.stopReason;
            // stopped: no more calls, but answers the cache has are free and still read
            continue;
          }
          calls++;
          const t0 = performance.now();
          let paid: number | undefined;
          try {
            const a = await llm.classify(item.request);
            const costUsd = costOf(v, a.usage.promptTokens, a.usage.completionTokens);
            paid = costUsd;
            const outcome: LlmOutcome = { kind: 'answer', intent: a.intent, promptTokens: a.usage.promptTokens, completionTokens: a.usage.completionTokens, costUsd, latencyMs: a.latencyMs };
            outcomes[item.index] = outcome;
            req.cache?.set(key, v.hash, { ...outcome, model: a.model });
          } catch (e) {
            const latencyMs = performance.now() - t0;
            if (e instanceof LlmAnswerError) {
              const u = e.usage ?? { promptTokens: 0, completionTokens: 0 };
              paid = costOf(v, u.promptTokens, u.completionTokens);
              const outcome: LlmOutcome = { kind: 'invalid', promptTokens: u.promptTokens, completionTokens: u.completionTokens, costUsd: paid, latencyMs };
              outcomes[item.index] = outcome;
              req.cache?.set(key, v.hash, outcome);
            } else if (e instanceof LlmNotCalled || (e instanceof IntentOpsError && e.code === 'invalid_config')) {
              // the server rejects this variant (key, model, deployment) or failed too often in a row
              stopped ??= `${v.name} stopped: ${e.message}${e.hint ? ` (${e.hint})` : ''}`;
            } else if (e instanceof LlmTimeout || e instanceof IntentOpsError) {
              outcomes[item.index] = { kind: 'failed', latencyMs };
            } else {
              throw e;
            }
          } finally {
            budget.finish(paid);
            if (paid !== undefined) spentUsd += paid;
          }
          req.onProgress?.(++done, total);
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, slice.length)) }, worker));
      return { v, outcomes, calls, cacheHits, spentUsd, stopped };
    }),
  );

  const champion = results[0];
  const variants: LlmVariantResult[] = results.map((r, i) => {
    const metrics = llmVariantMetrics(rows, r.outcomes, oosLabels);
    let vsChampion: LlmVariantResult['vsChampion'];
    if (i > 0) {
      const m = llmMcNemar(rows, champion.outcomes, r.outcomes, oosLabels);
      vsChampion = m && { ...m, verdict: verdictOf(m, champion.v.name, r.v.name) };
    }
    return {
      name: r.v.name,
      file: r.v.file,
      hash: r.v.hash,
      provider: r.v.settings.provider,
      model: modelOfVariant(r.v),
      metrics,
      calls: r.calls,
      cacheHits: r.cacheHits,
      spentUsd: r.spentUsd,
      ...(i > 0 ? { vsChampion } : {}),
      ...(r.stopped || metrics.partial ? { stopped: r.stopped ?? budget.stopReason ?? 'stopped early' } : {}),
    };
  });
  const partial = variants.some((v) => v.metrics.partial);
  const testSetHash = createHash('sha256')
    .update(req.examples.map((e) => `${e.text}\u0000${e.label}`).join('\u0001'))
    .digest('hex');
  return {
    model: model.describe(),
    rows: rows.length,
    sliceSize: slice.length,
    accepted: rows.filter((r) => !r.inSlice).length,
    all: req.all === true,
    unknownRows: rows.filter((r) => !r.known).length,
    partial,
    ...(budget.stopReason ? { stopReason: budget.stopReason } : partial ? { stopReason: variants.find((v) => v.stopped)?.stopped } : {}),
    ...(req.maxCostUsd !== undefined ? { maxCostUsd: req.maxCostUsd } : {}),
    spentUsd: budget.spent,
    concurrency,
    variants,
    testSetHash,
    evaluatedAt: new Date().toISOString(),
  };
}

/**
 * Records an LLM evaluation in experiment tracking: one finished run per variant, named
 * `llm:<variant>`, with the variant's settings as parameters, its figures as metrics, the test
 * set's hash as data and tags `kind=llm-eval`, `variantVersion`, `role` (champion / challenger)
 * and `partial`, so `runs list`, `runs compare` and the dashboard show LLM experiments next to
 * model trainings. Returns the run ids in variant order.
 */
export async function recordLlmEvalRuns(store: TrackingStore, result: LlmEvalResult, variants: readonly LlmVariant[], extra: { codeVersion?: string | null; data?: string } = {}): Promise<string[]> {
  const ids: string[] = [];
  for (const [i, v] of result.variants.entries()) {
    const s = variants.find((x) => x.hash === v.hash && x.name === v.name)?.settings;
    const m = v.metrics;
    const metrics = Object.fromEntries(
      Object.entries({
        sliceAccuracy: m.sliceAccuracy,
        sliceMacroF1: m.sliceMacroF1,
        endToEndAccuracy: m.endToEndAccuracy,
        noneRateUnknown: m.noneRateUnknown,
        falseNoneRate: m.falseNoneRate,
        invalidRate: m.invalidRate,
        failedRate: m.failedRate,
        promptTokens: m.promptTokens,
        completionTokens: m.completionTokens,
        costUsd: m.costUsd,
        costPer1k: m.costPer1k,
        costPer1kCalls: m.costPer1kCalls,
        latencyP50Ms: m.latencyP50Ms,
        latencyP95Ms: m.latencyP95Ms,
        evaluated: m.evaluated,
        sliceSize: m.sliceSize,
        mcnemarP: v.vsChampion?.pValue,
      }).filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1])),
    );
    const run = await store.createRun({
      name: `llm:${v.name}`,
      status: 'finished',
      params: { variant: v.name, variantFile: v.file, variantVersion: v.hash, ...(s ? { settings: { ...s } } : {}), bundle: result.model.name, all: result.all, concurrency: result.concurrency, ...(extra.data ? { data: extra.data } : {}) },
      data: { hash: result.testSetHash, report: { rows: result.rows, slice: result.sliceSize, partial: result.partial, ...(result.stopReason ? { stopReason: result.stopReason } : {}) } },
      metrics,
      codeVersion: extra.codeVersion ?? null,
      environment: currentEnvironment(),
      tags: { kind: 'llm-eval', variant: v.name, variantVersion: v.hash, role: i === 0 ? 'champion' : 'challenger', partial: m.partial ? 'yes' : 'no' },
    });
    ids.push(run.id);
  }
  return ids;
}
