import { setImmediate as yieldTurn } from 'node:timers/promises';
import { LlmDeclined, LlmNotCalled, type Llm, type LlmAnswer, type LlmRequest } from '../../ports/llm.js';

/** What the runner needs of a result (service.ts's ClassifyResult, without importing it back). */
export interface LlmAnswered {
  readonly intent: string;
  readonly llm?: { readonly variant: string; readonly costUsd: number; readonly latencyMs: number };
}

/*
 * LLM shadow mode: a challenger LLM variant answers a sample of the messages the champion
 * variant answered, after the answer was sent. Only the champion's answer is used; the
 * challenger's is logged (prediction-log variant `llm-shadow`) and compared. The bill is bounded
 * three ways: the sample rate, a cap on challenger calls in flight (a sampled message beyond it
 * is skipped and counted), and the same daily budget as the champion (the container wraps both
 * clients in it), so a shadow run can at most add `sampleRate` × the champion's LLM spend.
 */

/** What LLM shadow mode needs, read per message (so it can be turned on, off or swapped while serving). */
export interface LlmShadow {
  /** The challenger variant's client. */
  readonly llm: Llm;
  /** Share (0–1) of the champion's LLM answers the challenger also answers. */
  readonly sampleRate: number;
  /** Challenger calls in flight at most; a sampled message beyond it is skipped (counted as dropped). */
  readonly maxInFlight: number;
  /** Where the comparisons are counted (this process). */
  readonly stats: LlmShadowStats;
}

/** One side of a compared message: the variant that answered, its intent, cost and latency. */
export interface LlmSide {
  readonly variant: string;
  readonly intent: string;
  readonly costUsd: number;
  readonly latencyMs: number;
}

export interface LlmVariantFigures {
  /** The variant label (`NAME@VERSION` or the prompt file's version); the last one seen. */
  readonly variant: string | null;
  /** Compared messages this variant answered. */
  readonly answers: number;
  readonly costUsd: number;
  /** USD per 1,000 answered messages (null before the first). */
  readonly costPer1k: number | null;
  readonly latencyMs: { readonly p50: number; readonly p95: number } | null;
}

/** LLM shadow figures: the same shape from this process (`live`) and from the prediction log (`logged`, all replicas). */
export interface LlmShadowFigures {
  readonly since: string;
  /** Messages both variants answered. */
  readonly compared: number;
  /** Of those, how many got the same intent from both. */
  readonly agreed: number;
  readonly agreementRate: number | null;
  readonly champion: LlmVariantFigures;
  readonly challenger: LlmVariantFigures;
  /** Sampled messages skipped because maxInFlight challenger calls were running. */
  readonly dropped: number;
  /** Challenger calls the daily budget or the open circuit declined (nothing was paid). */
  readonly skipped: number;
  /** Challenger calls that failed (timeouts, errors, unusable answers; an unusable answer's cost is counted). */
  readonly failed: number;
}

/** Latency samples kept per variant for the percentiles: the most recent ones. */
const SAMPLES = 2048;

class Side {
  variant: string | null = null;
  answers = 0;
  costUsd = 0;
  private readonly lat: number[] = [];
  private next = 0;

  add(s: LlmSide): void {
    this.variant = s.variant;
    this.answers++;
    this.costUsd += s.costUsd;
    this.sample(s.latencyMs);
  }

  sample(ms: number): void {
    if (this.lat.length < SAMPLES) this.lat.push(ms);
    else this.lat[this.next++ % SAMPLES] = ms;
  }

  figures(): LlmVariantFigures {
    const sorted = [...this.lat].sort((a, b) => a - b);
    const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
    return {
      variant: this.variant,
      answers: this.answers,
      costUsd: this.costUsd,
      costPer1k: this.answers ? (this.costUsd / this.answers) * 1000 : null,
      latencyMs: sorted.length ? { p50: q(0.5), p95: q(0.95) } : null,
    };
  }
}

/** Agreement, cost and latency of the champion and challenger variants on the messages both answered. Bounded memory. */
export class LlmShadowStats {
  private readonly sides = { champion: new Side(), challenger: new Side() };
  private compared = 0;
  private agreed = 0;
  private dropped = 0;
  private skipped = 0;
  private failed = 0;
  private failedCostUsd = 0;

  constructor(readonly since = new Date().toISOString()) {}

  add(champion: LlmSide, challenger: LlmSide): void {
    this.compared++;
    if (champion.intent === challenger.intent) this.agreed++;
    this.sides.champion.add(champion);
    this.sides.challenger.add(challenger);
  }

  droppedOne(): void {
    this.dropped++;
  }

  skippedOne(): void {
    this.skipped++;
  }

  /** A failed challenger call; `costUsd` when it was billed (an unusable answer). */
  failedOne(costUsd = 0): void {
    this.failed++;
    this.failedCostUsd += costUsd;
  }

  figures(): LlmShadowFigures {
    const challenger = this.sides.challenger.figures();
    return {
      since: this.since,
      compared: this.compared,
      agreed: this.agreed,
      agreementRate: this.compared ? this.agreed / this.compared : null,
      champion: this.sides.champion.figures(),
      // what the challenger cost includes its billed failures
      challenger: { ...challenger, costUsd: challenger.costUsd + this.failedCostUsd },
      dropped: this.dropped,
      skipped: this.skipped,
      failed: this.failed,
    };
  }
}

/** The side of a result the LLM answered (undefined when no LLM answered it). */
export function sideOf(r: LlmAnswered): LlmSide | undefined {
  return r.llm ? { variant: r.llm.variant, intent: r.intent, costUsd: r.llm.costUsd, latencyMs: r.llm.latencyMs } : undefined;
}

/** Runs the challenger's calls off the request path, at most `maxInFlight` at once. */
export class LlmShadowRunner<A extends LlmAnswered, S extends LlmAnswered, I> {
  private readonly pending = new Set<Promise<void>>();
  private inFlight = 0;

  constructor(
    private readonly random: () => number,
    private readonly observer: { onShadow(answer: A, shadow: S, input: I): void; onError(e: unknown): void },
  ) {}

  /**
   * Samples the message and, if taken and a slot is free, asks the challenger. `answered` is the
   * champion's result; `toResult` turns the challenger's answer into its (llm-shadow) result.
   */
  offer(shadow: LlmShadow, req: LlmRequest, input: I, answered: () => A, toResult: (a: LlmAnswer) => S): void {
    if (!(this.random() < shadow.sampleRate)) return;
    if (this.inFlight >= shadow.maxInFlight) {
      shadow.stats.droppedOne();
      return;
    }
    this.inFlight++;
    const job = this.run(shadow, req, input, answered, toResult).finally(() => {
      this.inFlight--;
      this.pending.delete(job);
    });
    this.pending.add(job);
  }

  private async run(shadow: LlmShadow, req: LlmRequest, input: I, answered: () => A, toResult: (a: LlmAnswer) => S): Promise<void> {
    // the answer goes out first
    await yieldTurn();
    let a: LlmAnswer;
    try {
      a = await shadow.llm.classify(req);
    } catch (e) {
      if (e instanceof LlmDeclined || e instanceof LlmNotCalled) shadow.stats.skippedOne();
      else shadow.stats.failedOne((e as { usage?: { costUsd?: number } }).usage?.costUsd ?? 0);
      this.observer.onError(e);
      return;
    }
    const answer = answered();
    const shadowResult = toResult(a);
    const champ = sideOf(answer);
    const chall = sideOf(shadowResult);
    if (champ && chall) shadow.stats.add(champ, chall);
    this.observer.onShadow(answer, shadowResult, input);
  }

  /** Resolves once the challenger calls started so far are done. */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }
}
