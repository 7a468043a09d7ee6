import { IntentOpsError } from '../../core/errors.js';
import type { Broker, Delivery } from '../../ports/broker.js';
import { requestSchemas } from '../http/schemas.js';
import type { ClassifyInput, ClassifyResult } from '../classify/service.js';

/**
 * The streaming use case: take input messages from a broker shared by several workers,
 * classify them in small batches, publish each result under the input's id (so a redelivered
 * message never yields a second result), then ack. Nothing is lost and nothing aborts the loop:
 *   - a message that can never be classified (not JSON, no id, empty or over-long text) goes to
 *     the dead-letter queue at once, with the error in its headers;
 *   - a failure that may pass (review store or LLM down, publish timeout) is retried with
 *     exponential backoff (nak with a delay) and dead-lettered after `maxDeliver` attempts;
 *   - a worker that dies leaves its messages unacked: the broker redelivers them to the others;
 *   - a worker that is stopped (SIGTERM) asks for no more, finishes and acks what it holds and
 *     what is still arriving, and hands back only what is left after drainMs.
 */

export interface WorkerOptions {
  /** Messages classified together (the model is much faster on batches). Default 64. */
  readonly batchSize?: number;
  /** Messages in flight at once (the broker's maxInFlight); batches run concurrently up to it. Default 256. */
  readonly concurrency?: number;
  /** Deliveries before a message that keeps failing is dead-lettered. Default 5. */
  readonly maxDeliver?: number;
  /** Backoff before the 2nd delivery, doubling for each further one, capped at retryMaxMs. */
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
  /** Characters per message, as server.maxTextLength for POST /v1/classify. Default 5000. */
  readonly maxTextLength?: number;
  /** How long one receive waits before checking for a stop. Default 1000 ms. */
  readonly waitMs?: number;
  /** Randomness for the backoff jitter (tests may pin it). */
  readonly random?: () => number;
  /**
   * On stop: how long the worker keeps finishing what it holds and what its open pull requests
   * still bring (a few seconds at most) before handing the rest back. Default 15,000 ms.
   */
  readonly drainMs?: number;
}

export interface WorkerDeps {
  readonly broker: Broker;
  readonly classify: { classifyBatch(inputs: readonly ClassifyInput[]): Promise<ClassifyResult[]> };
  readonly log?: WorkerLog;
}

/** What the worker logs through (a pino logger fits). Texts are never logged. */
export interface WorkerLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface WorkerStats {
  received: number;
  published: number;
  /** Results the broker already had (a redelivered message classified again). */
  duplicates: number;
  retried: number;
  deadLettered: number;
}

/** Headers on a dead letter: why it is there and where it came from. */
export const DLQ_HEADERS = Object.freeze({ error: 'IntentOps-Error', reason: 'IntentOps-Reason', ref: 'IntentOps-Ref', attempts: 'IntentOps-Attempts', id: 'IntentOps-Id' });

interface Parsed {
  readonly d: Delivery;
  readonly input: { id: string; text: string; metadata?: Record<string, unknown> };
}

const SILENT: WorkerLog = { info: () => undefined, warn: () => undefined, debug: () => undefined };

export class Worker {
  private readonly o: Required<WorkerOptions>;
  private readonly log: WorkerLog;
  private readonly schema: ReturnType<typeof requestSchemas>['classify'];
  private readonly counts: WorkerStats = { received: 0, published: 0, duplicates: 0, retried: 0, deadLettered: 0 };

  constructor(
    private readonly deps: WorkerDeps,
    o: WorkerOptions = {},
  ) {
    this.o = { batchSize: 64, concurrency: 256, maxDeliver: 5, retryBaseMs: 1000, retryMaxMs: 60_000, maxTextLength: 5000, waitMs: 1000, random: Math.random, drainMs: 15_000, ...o };
    this.log = deps.log ?? SILENT;
    this.schema = requestSchemas({ maxTextLength: this.o.maxTextLength, maxBatch: 1 }).classify;
  }

  stats(): Readonly<WorkerStats> {
    return { ...this.counts };
  }

  /**
   * Runs until `signal` aborts, then finishes and settles the batches in hand and resolves
   * (the caller then closes the broker). Rejects when the broker fails for good.
   */
  async run(signal: AbortSignal): Promise<WorkerStats> {
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) stop.abort();
    const loops = Math.max(1, Math.ceil(this.o.concurrency / this.o.batchSize));
    let failure: unknown;
    await Promise.all(
      Array.from({ length: loops }, () =>
        this.loop(stop.signal).catch((e: unknown) => {
          failure ??= e;
          stop.abort();
        }),
      ),
    );
    signal.removeEventListener('abort', onAbort);
    if (failure) throw failure;
    await this.drain();
    return this.stats();
  }

  /**
   * Stopping: no new pull requests, and everything already received or still arriving for the
   * open ones is classified and acked, so nothing is handed back (a hand-back counts as a
   * delivery: handed back on every rolling restart, a valid message would reach maxDeliver
   * without ever being tried). What is left after drainMs is handed back by the broker's close.
   */
  private async drain(): Promise<void> {
    const stop = this.deps.broker.stop?.();
    if (!stop) return;
    let quiet = false;
    void stop.then(() => (quiet = true));
    const until = Date.now() + this.o.drainMs;
    while (Date.now() < until) {
      const batch = await this.deps.broker.receive(this.o.batchSize, { waitMs: quiet ? 0 : 100 });
      if (batch.length) await this.handle(batch);
      else if (quiet) return;
    }
    this.log.warn({ drainMs: this.o.drainMs }, 'stopping: still busy after drainMs; handing the rest back');
  }

  private async loop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const batch = await this.deps.broker.receive(this.o.batchSize, { waitMs: this.o.waitMs, signal });
      if (batch.length) await this.handle(batch);
    }
  }

  /** Settles every delivery of the batch exactly once; never throws. */
  async handle(batch: readonly Delivery[]): Promise<void> {
    this.counts.received += batch.length;
    const valid: Parsed[] = [];
    const rejected: Promise<void>[] = [];
    for (const d of batch) {
      if (d.attempt > this.o.maxDeliver) {
        rejected.push(this.deadLetter(d, 'max_deliveries', `delivered ${d.attempt} times without being settled (did a worker die while holding it?); the limit is ${this.o.maxDeliver}`));
        continue;
      }
      const parsed = this.parse(d);
      if (parsed instanceof IntentOpsError) rejected.push(this.deadLetter(d, parsed.code, parsed.message));
      else valid.push({ d, input: parsed });
    }
    await Promise.all([...rejected, this.classifyAll(valid)]);
  }

  private parse(d: Delivery): Parsed['input'] | IntentOpsError {
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(d.data));
    } catch (e) {
      return new IntentOpsError('invalid_input', e instanceof TypeError ? 'the message is not valid UTF-8' : `invalid JSON: ${(e as Error).message}`);
    }
    const r = this.schema.safeParse(json);
    if (!r.success) {
      const issue = r.error.issues[0];
      return new IntentOpsError('invalid_input', `${issue.path.join('.') || 'message'}: ${issue.message}`);
    }
    if (r.data.id === undefined) return new IntentOpsError('invalid_input', 'id: required (each result is published under its input id, which makes redeliveries harmless)');
    return { id: r.data.id, text: r.data.text, ...(r.data.metadata ? { metadata: r.data.metadata } : {}) };
  }

  private async classifyAll(items: readonly Parsed[]): Promise<void> {
    if (!items.length) return;
    let results: ClassifyResult[] | undefined;
    try {
      results = await this.deps.classify.classifyBatch(items.map((p) => ({ text: p.input.text, id: p.input.id, requestId: p.d.ref })));
    } catch (e) {
      if (items.length === 1) return this.failed(items[0].d, e);
      // one bad message must not hold back the rest: find it by classifying one at a time
      await Promise.all(items.map((p) => this.classifyAll([p])));
      return;
    }
    await Promise.all(items.map((p, i) => this.publish(p, results[i])));
  }

  private async publish(p: Parsed, r: ClassifyResult): Promise<void> {
    const body = p.input.metadata ? { ...r, metadata: p.input.metadata } : r;
    try {
      const { duplicate } = await this.deps.broker.publish('out', new TextEncoder().encode(JSON.stringify(body)), { msgId: p.input.id });
      if (duplicate) this.counts.duplicates++;
      else this.counts.published++;
      p.d.ack();
    } catch (e) {
      this.failed(p.d, e);
    }
  }

  /** A failure: poison (invalid input) is dead-lettered, anything else is retried later. */
  private async failed(d: Delivery, e: unknown): Promise<void> {
    const err = e instanceof IntentOpsError ? e : new IntentOpsError('unavailable', (e as Error)?.message ?? String(e), { cause: e });
    if (err.code === 'invalid_input') return this.deadLetter(d, err.code, err.message);
    if (d.attempt >= this.o.maxDeliver) return this.deadLetter(d, 'max_deliveries', `${err.code}: ${err.message} (attempt ${d.attempt} of ${this.o.maxDeliver})`);
    const delayMs = this.backoff(d.attempt);
    this.counts.retried++;
    this.log.warn({ ref: d.ref, attempt: d.attempt, delayMs, code: err.code, err: err.message }, 'classification failed; retrying later');
    d.nak(delayMs);
  }

  private backoff(attempt: number): number {
    const base = Math.min(this.o.retryMaxMs, this.o.retryBaseMs * 2 ** (attempt - 1));
    return Math.round(base * (0.8 + 0.4 * this.o.random()));
  }

  private async deadLetter(d: Delivery, code: string, reason: string): Promise<void> {
    let id: string | undefined;
    try {
      const v = (JSON.parse(new TextDecoder().decode(d.data)) as { id?: unknown }).id;
      if (typeof v === 'string' || typeof v === 'number') id = String(v).slice(0, 128);
    } catch {
      // not JSON: no id to report
    }
    const headers = { [DLQ_HEADERS.error]: code, [DLQ_HEADERS.reason]: reason.slice(0, 1000), [DLQ_HEADERS.ref]: d.ref, [DLQ_HEADERS.attempts]: String(d.attempt), ...(id ? { [DLQ_HEADERS.id]: id } : {}) };
    try {
      // the dead letter keeps the original bytes, so it can be fixed and published again
      await this.deps.broker.publish('dlq', d.data, { msgId: `dlq:${d.ref}`, headers });
    } catch (e) {
      this.log.warn({ ref: d.ref, err: (e as Error).message }, 'dead-lettering failed; the message will be redelivered');
      d.nak(this.backoff(Math.min(d.attempt, 10)));
      return;
    }
    this.counts.deadLettered++;
    this.log.warn({ ref: d.ref, id, attempt: d.attempt, code, reason }, 'message dead-lettered');
    d.term(`${code}: ${reason}`.slice(0, 200));
  }
}
