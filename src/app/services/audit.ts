import { wilsonInterval, type Interval } from '../../core/eval/bounds.js';
import type { Llm } from '../../ports/llm.js';
import type { ReviewStore } from '../../ports/review-store.js';
import { queuedForLlmCheck, type ClassifyInput, type ClassifyResult } from '../classify/service.js';
import { sampledId } from './monitor.js';

/**
 * The live precision audit: a sample of accepted answers (the ones no LLM or person saw) is
 * judged — by the LLM when one is configured (asked to classify the message with the accepted
 * intent among the candidates; agreement counts as right), else by a person through the review
 * queue (reason `audit`, the accepted intent as the guess). The outcomes of the window give the
 * accepted precision with a Wilson interval, compared with the precision the bundle promised.
 * Bounded everywhere: judgements in flight, review items awaited, one-minute buckets.
 *
 * The LLM's answers are checked the same way from the other side: the LLM answers that the
 * classify service also queued for review (reason `llm_check`, review.llmCheckSampleRate) are
 * awaited, and a person's label equal to the LLM's intent counts as the LLM being right. Their
 * Wilson interval is `llm` in the figures: the live precision of the answers the LLM was paid for.
 */
export interface AuditOptions {
  /** Share of accepted answers audited (deterministic by message id). */
  readonly sampleRate: number;
  readonly windowMinutes: number;
  /** The precision the served model promises (its bundle's target). */
  readonly target: () => number;
  readonly llm?: Llm;
  readonly review?: ReviewStore;
  /** LLM judgements in flight at once; more audits meanwhile are skipped (counted). Default 4. */
  readonly maxInFlight?: number;
  /** Review items awaited at once (oldest dropped beyond). Default 10,000. */
  readonly maxAwaited?: number;
  readonly now?: () => number;
  readonly onError?: (e: unknown) => void;
}

/** The LLM's answers as people checked them (llm_check review items labelled in the window). */
export interface LlmCheckFigures extends Interval {
  readonly checked: number;
  readonly right: number;
  /** llm_check items waiting for a reviewer's label. */
  readonly awaiting: number;
}

export interface AuditFigures extends Interval {
  /** Judged answers in the window. */
  readonly audited: number;
  readonly right: number;
  readonly target: number;
  /** Audits waiting for a reviewer's label. */
  readonly awaiting: number;
  /** Audits not started (judge busy) since start. */
  readonly skipped: number;
  readonly judge: 'llm' | 'review' | 'none';
  /** True when the interval's upper bound is below the target: the promise is broken. */
  readonly belowTarget: boolean;
  readonly llm: LlmCheckFigures;
}

interface Bucket {
  minute: number;
  right: number;
  wrong: number;
  total: number;
  oos: number;
  llmRight: number;
  llmWrong: number;
}

export class Auditor {
  private readonly buckets: Bucket[] = [];
  private readonly awaited = new Map<string, string>();
  /** llm_check review item id → the LLM's intent. */
  private readonly awaitedLlm = new Map<string, string>();
  private inFlight = 0;
  private skipped = 0;
  private readonly now: () => number;

  constructor(private readonly o: AuditOptions) {
    this.now = o.now ?? Date.now;
  }

  get judge(): AuditFigures['judge'] {
    return this.o.llm ? 'llm' : this.o.review ? 'review' : 'none';
  }

  /** ClassifyObserver hook: counts the out-of-scope share and audits a sampled accepted answer. */
  onResult(r: ClassifyResult, input: ClassifyInput): void {
    if (r.variant !== 'shadow') {
      const b = this.bucket();
      b.total++;
      if (r.outOfScope) b.oos++;
    }
    // an LLM answer the classify service queued for a person's check (reason llm_check)
    if (queuedForLlmCheck(r) && !r.review.pending && !r.cached && this.o.review) {
      this.remember(this.awaitedLlm, r.review.id, r.intent);
      return;
    }
    if (r.route !== 'accepted' || r.cached || r.variant === 'shadow' || !sampledId(`${r.id}#audit`, this.o.sampleRate)) return;
    if (this.o.llm) {
      if (this.inFlight >= (this.o.maxInFlight ?? 4)) {
        this.skipped++;
        return;
      }
      this.inFlight++;
      const intents = [r.intent, ...r.alternatives.map((a) => a.intent).filter((i) => i !== r.intent)].map((name) => ({ name }));
      this.o.llm
        .classify({ text: input.text, intents, examples: [], requestId: r.id })
        .then((a) => this.record(a.intent === r.intent))
        .catch((e: unknown) => this.o.onError?.(e))
        .finally(() => this.inFlight--);
      return;
    }
    const review = this.o.review;
    if (!review) return;
    review
      .add({ text: input.text, guess: r.intent, confidence: r.confidence ?? 0, alternatives: r.alternatives, reason: 'audit', model: r.model, requestId: r.id })
      .then((item) => this.remember(this.awaited, item.id, r.intent))
      .catch((e: unknown) => this.o.onError?.(e));
  }

  /** Remembers a review item to read its label later; the oldest is forgotten beyond maxAwaited. */
  private remember(m: Map<string, string>, id: string, intent: string): void {
    if (m.size >= (this.o.maxAwaited ?? 10_000)) m.delete(m.keys().next().value!);
    m.set(id, intent);
  }

  /** Counts one judged answer. */
  record(right: boolean): void {
    const b = this.bucket();
    if (right) b.right++;
    else b.wrong++;
  }

  /** Counts one checked LLM answer. */
  recordLlm(right: boolean): void {
    const b = this.bucket();
    if (right) b.llmRight++;
    else b.llmWrong++;
  }

  private bucket() {
    const minute = Math.floor(this.now() / 60_000);
    let b = this.buckets[this.buckets.length - 1];
    if (!b || b.minute !== minute) {
      b = { minute, right: 0, wrong: 0, total: 0, oos: 0, llmRight: 0, llmWrong: 0 };
      this.buckets.push(b);
      this.trim();
    }
    return b;
  }

  /**
   * Reads reviewers' labels of awaited items (call periodically): of an audit item, a label equal
   * to the accepted intent counts as right; of an llm_check item, a label equal to the LLM's.
   */
  async poll(): Promise<number> {
    const review = this.o.review;
    if (!review) return 0;
    let judged = 0;
    for (const [m, count] of [
      [this.awaited, (right: boolean) => this.record(right)],
      [this.awaitedLlm, (right: boolean) => this.recordLlm(right)],
    ] as const) {
      for (const [id, intent] of [...m]) {
        const item = await review.get(id);
        if (!item) {
          m.delete(id);
          continue;
        }
        if (item.state === 'labelled' && item.label !== undefined) {
          count(item.label === intent);
          m.delete(id);
          judged++;
        } else if (item.state === 'skipped') m.delete(id);
      }
    }
    return judged;
  }

  private trim(): void {
    const oldest = Math.floor(this.now() / 60_000) - this.o.windowMinutes + 1;
    while (this.buckets.length && this.buckets[0].minute < oldest) this.buckets.shift();
  }

  /** The window's totals. */
  private totals(): Omit<Bucket, 'minute'> {
    this.trim();
    const t = { right: 0, wrong: 0, total: 0, oos: 0, llmRight: 0, llmWrong: 0 };
    for (const b of this.buckets) for (const k of ['right', 'wrong', 'total', 'oos', 'llmRight', 'llmWrong'] as const) t[k] += b[k];
    return t;
  }

  /** Share of the window's messages answered as out of scope (by the model's detector or the LLM). */
  outOfScope(): { share: number; messages: number } {
    const { total, oos } = this.totals();
    return { share: total ? oos / total : Number.NaN, messages: total };
  }

  figures(): AuditFigures {
    const { right, wrong, llmRight, llmWrong } = this.totals();
    const audited = right + wrong;
    const w = wilsonInterval(right, audited, 0.95);
    const target = this.o.target();
    const checked = llmRight + llmWrong;
    const llm = { ...wilsonInterval(llmRight, checked, 0.95), checked, right: llmRight, awaiting: this.awaitedLlm.size };
    return { ...w, audited, right, target, awaiting: this.awaited.size, skipped: this.skipped, judge: this.judge, belowTarget: audited > 0 && w.upper < target, llm };
  }
}
