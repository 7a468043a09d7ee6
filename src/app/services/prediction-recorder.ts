import { createHash } from 'node:crypto';
import { redact as redactBuiltIn, type Redactor } from '../../core/privacy/index.js';
import { IntentOpsError } from '../../core/errors.js';
import type { PredictionLog, PredictionRecord } from '../../ports/prediction-log.js';
import type { Spool } from '../../ports/spool.js';
import type { ClassifyInput, ClassifyObserver, ClassifyResult } from '../classify/service.js';

export interface PredictionRecorderOptions {
  /** Where batches go (the recorder never closes it: its owner does). */
  readonly log: Pick<PredictionLog, 'append'>;
  /** Keep each message's text, redacted first (events.storeTexts). Default false. */
  readonly storeTexts?: boolean;
  /** Redaction applied to stored texts. Default: the built-in detectors. */
  readonly redact?: Redactor;
  /** Drift features of one prediction; runs at flush time, off the request path. */
  readonly features?: (input: ClassifyInput, result: ClassifyResult) => PredictionRecord['features'];
  /** Write at least this often while records wait. Default 250 ms. */
  readonly flushMs?: number;
  /** Records per append; a full batch is written at once. Default 500. */
  readonly batchSize?: number;
  /** Records held at most; beyond it the oldest are dropped and counted. Default 10,000. */
  readonly maxBuffered?: number;
  /** Store errors, feature-hook errors and drops land here; nothing is thrown into requests. */
  readonly onError?: (e: unknown, lostRecords: number) => void;
  /** Milliseconds since the epoch for `at`. Default Date.now. */
  readonly now?: () => number;
  /**
   * Where records go instead of being dropped when the buffer is full (the store is away or slow)
   * and what is still unwritten at close: written out, oldest first, once the store takes writes
   * again (on disk, a restart loses nothing). The recorder closes it.
   */
  readonly spool?: Spool<PredictionRecord>;
}

export interface RecorderStats {
  readonly buffered: number;
  readonly written: number;
  /** Dropped because the buffer was full, the recorder was closed, or a batch was refused. */
  readonly dropped: number;
  readonly failedBatches: number;
  /** Records waiting in the spool. */
  readonly spooled: number;
  /** False while the last write failed (the store is away; records are buffered and spooled). */
  readonly up: boolean;
}

/** An answered (or shadow-scored) message, turned into a record at flush time, off the request path. */
interface Pending {
  readonly result: ClassifyResult;
  readonly input: ClassifyInput;
  readonly at: number;
}

const BACKOFF_MAX_MS = 5000;
const OVERFLOW_REPORT_MS = 1000;

/** The client key a rollout split sticks to, as stored: a short one-way hash, never the key. */
export function hashSubject(subject: string): string {
  return createHash('sha256').update(`intentops:subject:${subject}`).digest('hex').slice(0, 16);
}

/**
 * Records every served prediction in the prediction log without making a request wait on the
 * store: results are buffered and appended in batches (every `flushMs` or `batchSize` records,
 * whichever comes first). The buffer is bounded: when the store falls behind, the oldest records
 * are dropped and counted, never blocking or growing without bound. A store that is
 * 'unavailable' gets the batch back at the front of the buffer and is retried with back-off;
 * any other refusal drops the batch. Texts are stored only when enabled, and redacted first.
 *
 * @example
 * const recorder = new PredictionRecorder({ log: await openPredictionLog('sqlite:./intentops.db'), storeTexts: true, onError: (e) => log.warn({ err: e }, 'prediction log') });
 * const classify = new ClassifyService({ model: () => model, observer: recorder });
 * // on shutdown:
 * await recorder.close();
 */
export class PredictionRecorder implements Pick<ClassifyObserver, 'onResult' | 'onShadow' | 'onLlmShadow'> {
  private items: Pending[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<boolean> | undefined;
  /** A full-batch write is queued for the next turn of the event loop. */
  private kicked = false;
  private failures = 0;
  private closed = false;
  private written = 0;
  private dropped = 0;
  private failedBatches = 0;
  /** Records dropped for a full buffer since the last report. */
  private overflow = 0;
  private overflowReport: NodeJS.Timeout | undefined;
  private readonly flushMs: number;
  private readonly batchSize: number;
  private readonly maxBuffered: number;
  private readonly now: () => number;
  private readonly redact: Redactor;

  constructor(private readonly o: PredictionRecorderOptions) {
    this.flushMs = o.flushMs ?? 250;
    this.batchSize = o.batchSize ?? 500;
    this.maxBuffered = Math.max(o.maxBuffered ?? 10_000, this.batchSize);
    this.now = o.now ?? Date.now;
    this.redact = o.redact ?? redactBuiltIn;
    // records a previous process left in the spool are written as soon as the log takes them
    if (o.spool?.size) this.schedule();
  }

  get stats(): RecorderStats {
    return { buffered: this.size, written: this.written, dropped: this.dropped, failedBatches: this.failedBatches, spooled: this.o.spool?.size ?? 0, up: this.failures === 0 };
  }

  private get size(): number {
    return this.items.length - this.head;
  }

  /** ClassifyObserver: called once per answered message, on the request path. Never throws. */
  onResult(result: ClassifyResult, input: ClassifyInput): void {
    this.enqueue({ result, input, at: this.now() });
  }

  /** ClassifyObserver: a shadow rollout's challenger score, logged as variant 'shadow' under the champion's id (its text is stored once, with the answer). */
  onShadow(_champion: ClassifyResult, shadow: ClassifyResult, input: ClassifyInput): void {
    this.enqueue({ result: shadow, input, at: this.now() });
  }

  /** ClassifyObserver: an LLM challenger variant's shadow answer, logged as variant 'llm-shadow' under the answer's id (text stored once, with the answer). */
  onLlmShadow(_answer: unknown, shadow: ClassifyResult, input: ClassifyInput): void {
    this.enqueue({ result: shadow, input, at: this.now() });
  }

  private enqueue(p: Pending): void {
    if (this.closed) {
      this.lose(new IntentOpsError('unavailable', 'the prediction recorder is closed', { where: 'prediction recorder' }), 1);
      return;
    }
    this.items.push(p);
    if (this.size > this.maxBuffered) {
      const oldest = this.items[this.head];
      this.head++;
      this.compact();
      if (this.toSpool(oldest)) return this.schedule();
      this.dropped++;
      // under overload this happens per request: one report a second, not one per record
      this.overflow++;
      if (!this.overflowReport) {
        this.overflowReport = setTimeout(() => this.reportOverflow(), OVERFLOW_REPORT_MS);
        this.overflowReport.unref();
      }
    }
    this.schedule();
  }

  private reportOverflow(): void {
    clearTimeout(this.overflowReport);
    this.overflowReport = undefined;
    const n = this.overflow;
    if (!n) return;
    this.overflow = 0;
    this.dropped -= n; // lose() counts them
    this.lose(new IntentOpsError('unavailable', `the prediction buffer is full (${this.maxBuffered} records): the ${n} oldest records were dropped`, { where: 'prediction recorder', hint: 'the prediction log is slower than the traffic: check the store, or raise events.maxBuffered' }), n);
  }

  /** Moves a record to the spool; false when there is none or it is full (the caller counts the loss). */
  private toSpool(p: Pending): boolean {
    if (!this.o.spool) return false;
    try {
      return this.o.spool.push(this.toRecord(p));
    } catch {
      return false; // a spool file that cannot be written
    }
  }

  /** Records waiting anywhere: the buffer and the spool. */
  private get pendingWork(): number {
    return this.size + (this.o.spool?.size ?? 0);
  }

  /** Drops the references to taken or dropped records once they are half the array (amortised O(1)). */
  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  private lose(e: unknown, n: number): void {
    this.dropped += n;
    try {
      this.o.onError?.(e, n);
    } catch {
      // a failing error handler must not break a request either
    }
  }

  /** A full batch goes out on the next turn of the event loop; otherwise within flushMs (longer while the store is failing). */
  private schedule(): void {
    if (this.inFlight || this.closed || this.pendingWork === 0) return;
    if (this.pendingWork >= this.batchSize && this.failures === 0) {
      if (this.kicked) return;
      clearTimeout(this.timer);
      this.timer = undefined;
      this.kicked = true;
      setImmediate(() => {
        this.kicked = false;
        if (this.pendingWork >= this.batchSize) void this.writeBatch();
        else this.schedule();
      });
      return;
    }
    if (this.timer) return;
    const delay = this.failures ? Math.min(BACKOFF_MAX_MS, this.flushMs * 2 ** this.failures) : this.flushMs;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.writeBatch();
    }, delay);
    this.timer.unref();
  }

  /** Takes up to batchSize records off the front and appends them; true when the store took them. */
  private writeBatch(): Promise<boolean> {
    if (this.inFlight) return this.inFlight;
    // the spool holds the older records: it goes first once the store takes writes again
    if (this.o.spool?.size && (this.failures === 0 || this.size === 0)) return this.writeSpooled(this.o.spool);
    if (this.size === 0) return Promise.resolve(true);
    const taken = this.items.slice(this.head, this.head + this.batchSize);
    this.head += taken.length;
    this.compact();
    const run = async (): Promise<boolean> => {
      try {
        await this.o.log.append(taken.map((p) => this.toRecord(p)));
        this.written += taken.length;
        this.failures = 0;
        return true;
      } catch (e) {
        this.failedBatches++;
        if (e instanceof IntentOpsError && e.code === 'unavailable' && !this.closed) {
          // the store is down for now: keep the batch (oldest first) within the bound, retry later
          this.failures++;
          this.items = [...taken, ...this.items.slice(this.head)];
          this.head = 0;
          let lost = 0;
          while (this.size > this.maxBuffered) if (!this.toSpool(this.items[this.head++])) lost++;
          this.lose(e, lost);
        } else {
          this.lose(e, taken.length);
        }
        return false;
      } finally {
        this.inFlight = undefined;
        this.schedule();
      }
    };
    this.inFlight = run();
    return this.inFlight;
  }

  /** Appends the oldest spooled records; they leave the spool only once written (or refused for good). */
  private writeSpooled(spool: Spool<PredictionRecord>): Promise<boolean> {
    const batch = spool.peek(this.batchSize);
    const run = async (): Promise<boolean> => {
      try {
        await this.o.log.append(batch);
        spool.shift(batch.length);
        this.written += batch.length;
        this.failures = 0;
        return true;
      } catch (e) {
        this.failedBatches++;
        if (e instanceof IntentOpsError && e.code === 'unavailable' && !this.closed) {
          this.failures++;
          this.lose(e, 0);
        } else {
          spool.shift(batch.length);
          this.lose(e, batch.length);
        }
        return false;
      } finally {
        this.inFlight = undefined;
        this.schedule();
      }
    };
    this.inFlight = run();
    return this.inFlight;
  }

  private toRecord(p: Pending): PredictionRecord {
    const { result: r, input } = p;
    let features: PredictionRecord['features'];
    if (this.o.features) {
      try {
        features = this.o.features(input, r);
      } catch (e) {
        this.lose(e, 0);
      }
    }
    return {
      id: r.id,
      at: new Date(p.at).toISOString(),
      model: r.model,
      variant: r.variant,
      intent: r.intent,
      // the local model's (drift monitors compare it with training); null-free whatever the route
      confidence: r.local.confidence,
      route: r.route,
      reason: r.reason,
      cached: r.cached,
      latencyMs: r.timings.totalMs,
      ...(r.llm && { llm: { model: r.llm.model, variant: r.llm.variant, promptTokens: r.llm.promptTokens, completionTokens: r.llm.completionTokens, costUsd: r.llm.costUsd, latencyMs: r.llm.latencyMs } }),
      ...(this.o.storeTexts && r.variant !== 'shadow' && r.variant !== 'llm-shadow' && { text: this.redact(input.text).text }),
      ...(features && { features }),
      ...(input.subject !== undefined && { subject: hashSubject(input.subject) }),
    };
  }

  /**
   * Writes everything buffered so far (batch by batch) and resolves when it is stored, or when
   * the store refused a batch (reported to onError, not thrown).
   */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.reportOverflow();
    if (this.inFlight && !(await this.inFlight)) return;
    while (this.pendingWork > 0) if (!(await this.writeBatch())) return;
  }

  /** Flushes, then refuses further records (counted as dropped). Does not close the log. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    // what the store did not take stays in the spool for the next start (on disk); the rest is lost
    let left = 0;
    while (this.size > 0) if (!this.toSpool(this.items[this.head++])) left++;
    if (left) this.lose(new IntentOpsError('unavailable', `${left} predictions could not be written before shutdown`, { where: 'prediction recorder' }), left);
    this.items = [];
    this.head = 0;
    await this.o.spool?.close();
  }
}
