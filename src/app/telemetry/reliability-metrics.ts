import { Counter, Gauge, type Registry } from 'prom-client';

/*
 * What an operator paged at night looks at first: which dependency is away, and what this replica
 * does instead (items spooled, records buffered, counted drops). All figures are read from their
 * owners at scrape time (no second set of counters to keep in step).
 */

/** A figure read at scrape time. */
type Read = () => number;

export interface ReliabilitySources {
  /** 1 while each dependency answers (or is not known to be away), 0 while it is away. */
  readonly dependencies?: Readonly<Record<string, () => boolean>>;
  readonly review?: () => { spooled: number; flushedTotal: number; spooledTotal: number; dropped: { spool_full: number; queue_full: number; shutdown?: number }; openEstimate: number | undefined; maxOpen: number };
  readonly predictions?: () => { buffered: number; written: number; dropped: number; spooled?: number; failedBatches: number };
  /** Requests answered without the cache, and rate-limit decisions taken locally, while Redis was away. */
  readonly cacheBypassed?: Read;
  readonly rateLimitFallback?: Read;
  /** Paraphrase grouping of the review queue (review.groupParaphrases). */
  readonly paraphrases?: () => { merged: number; stale: number; held: number };
}

function counter(registry: Registry, name: string, help: string, read: Read): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

/** A gauge whose value is read at scrape time (under node:cluster, combined over the workers by `aggregator`). */
export function gauge(registry: Registry, name: string, help: string, read: Read, aggregator: 'sum' | 'max' | 'min' | 'average' = 'sum'): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    aggregator,
    collect() {
      this.set(read());
    },
  });
}

/**
 * Registers the degraded-mode series on `registry` (the server's /metrics).
 *
 * @example
 * registerReliabilityMetrics(metrics.registry, { dependencies: { review: () => review.stats().up }, review: () => review.stats() });
 */
export function registerReliabilityMetrics(registry: Registry, s: ReliabilitySources): void {
  const deps = s.dependencies ?? {};
  if (Object.keys(deps).length) {
    new Gauge({
      name: 'intentops_dependency_up',
      help: 'Each dependency: 1 while it answers, 0 while this replica works around it (see the README operations table)',
      labelNames: ['dependency'],
      registers: [registry],
      aggregator: 'min',
      collect() {
        for (const [name, up] of Object.entries(deps)) this.set({ dependency: name }, up() ? 1 : 0);
      },
    });
  }
  if (s.paraphrases) {
    const p = s.paraphrases;
    counter(registry, 'intentops_review_paraphrases_merged_total', 'Messages sent to review counted on a waiting item they paraphrase (review.groupParaphrases)', () => p().merged);
    counter(registry, 'intentops_review_paraphrases_stale_total', 'Paraphrase matches not used because the item was no longer waiting', () => p().stale);
    gauge(registry, 'intentops_review_paraphrases_held', 'Waiting review items this replica compares new messages with', () => p().held);
  }
  if (s.review) {
    const r = s.review;
    gauge(registry, 'intentops_review_spooled', 'Review items waiting in the local spool for the review store to come back', () => r().spooled);
    counter(registry, 'intentops_review_spooled_total', 'Review items put in the local spool because the review store was away', () => r().spooledTotal);
    counter(registry, 'intentops_review_spool_written_total', 'Spooled review items written to the review store once it was back', () => r().flushedTotal);
    new Counter({
      name: 'intentops_review_dropped_total',
      help: 'Review items not queued, by reason: spool_full (store away and review.spoolMax reached), queue_full (review.maxOpen open items), shutdown (still spooled in memory at shutdown)',
      labelNames: ['reason'],
      registers: [registry],
      collect() {
        const d = r().dropped;
        this.reset();
        this.inc({ reason: 'spool_full' }, d.spool_full);
        this.inc({ reason: 'queue_full' }, d.queue_full);
        this.inc({ reason: 'shutdown' }, d.shutdown ?? 0);
      },
    });
    gauge(registry, 'intentops_review_open', 'Open review items (as last counted by this replica)', () => r().openEstimate ?? 0, 'max');
    gauge(registry, 'intentops_review_max_open', 'review.maxOpen: the bound on open review items (0 = none)', () => r().maxOpen, 'max');
  }
  if (s.predictions) {
    const p = s.predictions;
    counter(registry, 'intentops_predictions_written_total', 'Prediction records written to the prediction log', () => p().written);
    counter(registry, 'intentops_predictions_dropped_total', 'Prediction records lost (buffer and spool full, refused by the store, or left at shutdown)', () => p().dropped);
    gauge(registry, 'intentops_predictions_buffered', 'Prediction records waiting in memory to be written', () => p().buffered);
    gauge(registry, 'intentops_predictions_spooled', 'Prediction records waiting in the spool (events.spoolDir) for the log to come back', () => p().spooled ?? 0);
    counter(registry, 'intentops_predictions_failed_batches_total', 'Prediction log writes that failed (transient ones are retried)', () => p().failedBatches);
  }
  if (s.cacheBypassed) counter(registry, 'intentops_cache_bypassed_total', 'Cache reads and writes skipped because the cache (Redis) was known to be away', s.cacheBypassed);
  if (s.rateLimitFallback) counter(registry, 'intentops_rate_limit_fallback_total', 'Rate-limit decisions taken by the per-replica fallback bucket because Redis was away', s.rateLimitFallback);
}
