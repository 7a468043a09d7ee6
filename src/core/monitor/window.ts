import type { Route } from '../routing/policy.js';
import { CONFIDENCE_BINS, confidenceBin } from './histogram.js';

/**
 * Counts of served predictions: predicted labels, confidence bins, routes, LLM cost, and the
 * sampled features (OOV share, centroid distance). Fixed-size: counting allocates nothing.
 */
export class Tally {
  n = 0;
  accepted = 0;
  llm = 0;
  review = 0;
  costUsd = 0;
  /** Sampled messages with an OOV share, and the sum of their shares. */
  oovN = 0;
  oovSum = 0;
  /** Sampled messages with a centroid distance, their sum, and how many exceeded the reference p95. */
  distN = 0;
  distSum = 0;
  distBeyondP95 = 0;
  readonly labels: Float64Array;
  readonly confidence = new Float64Array(CONFIDENCE_BINS);

  constructor(readonly classes: number) {
    this.labels = new Float64Array(classes);
  }

  /** One answer. `label` is the class id (ignored when outside [0, classes), e.g. an unknown intent). */
  count(label: number, confidence: number, route: Route, costUsd = 0): void {
    this.n++;
    if (label >= 0 && label < this.classes) this.labels[label]++;
    this.confidence[confidenceBin(confidence)]++;
    if (route === 'accepted') this.accepted++;
    else if (route === 'llm') this.llm++;
    else this.review++;
    if (costUsd > 0) this.costUsd += costUsd;
  }

  /** The features of one sampled message; `p95` is the reference distance it is compared with. */
  features(oovShare: number | undefined, distance: number | undefined, p95: number): void {
    if (oovShare !== undefined && Number.isFinite(oovShare)) {
      this.oovN++;
      this.oovSum += oovShare;
    }
    if (distance !== undefined && Number.isFinite(distance)) {
      this.distN++;
      this.distSum += distance;
      if (distance > p95) this.distBeyondP95++;
    }
  }

  reset(): void {
    this.n = this.accepted = this.llm = this.review = this.costUsd = 0;
    this.oovN = this.oovSum = this.distN = this.distSum = this.distBeyondP95 = 0;
    this.labels.fill(0);
    this.confidence.fill(0);
  }

  /** Adds `t` into this one. */
  merge(t: Tally): this {
    this.n += t.n;
    this.accepted += t.accepted;
    this.llm += t.llm;
    this.review += t.review;
    this.costUsd += t.costUsd;
    this.oovN += t.oovN;
    this.oovSum += t.oovSum;
    this.distN += t.distN;
    this.distSum += t.distSum;
    this.distBeyondP95 += t.distBeyondP95;
    for (let i = 0; i < this.classes; i++) this.labels[i] += t.labels[i];
    for (let i = 0; i < CONFIDENCE_BINS; i++) this.confidence[i] += t.confidence[i];
    return this;
  }
}

export interface WindowOptions {
  readonly classes: number;
  readonly windowMs: number;
  /** Width of one bucket; the window moves in these steps. Default 60 000 (one minute). */
  readonly bucketMs?: number;
}

/**
 * The last `windowMs` of traffic as a ring of time buckets (one Tally each): counting touches
 * only the current bucket, a bucket is cleared in place when its slot comes round again, and
 * memory is fixed (buckets × classes numbers) however much traffic arrives.
 *
 * @example
 *   const w = new SlidingWindow({ classes: 77, windowMs: 3_600_000 });
 *   w.at(Date.now()).count(12, 0.93, 'accepted');
 *   const { tally, since } = w.totals(Date.now());
 */
export class SlidingWindow {
  readonly bucketMs: number;
  private readonly ring: Tally[];
  private readonly epochs: Float64Array;

  constructor(o: WindowOptions) {
    this.bucketMs = o.bucketMs ?? 60_000;
    if (!(this.bucketMs > 0) || !(o.windowMs >= this.bucketMs)) throw new RangeError(`window ${o.windowMs} ms must be at least one bucket (${this.bucketMs} ms)`);
    const n = Math.ceil(o.windowMs / this.bucketMs);
    this.ring = Array.from({ length: n }, () => new Tally(o.classes));
    this.epochs = new Float64Array(n).fill(-1);
  }

  get buckets(): number {
    return this.ring.length;
  }

  /** The bucket that counts time `now` (ms since the epoch). */
  at(now: number): Tally {
    const e = Math.floor(now / this.bucketMs);
    const i = e % this.ring.length;
    if (this.epochs[i] !== e) {
      this.ring[i].reset();
      this.epochs[i] = e;
    }
    return this.ring[i];
  }

  /** The sum of the buckets inside the window ending at `now`, and the time the window starts. */
  totals(now: number): { tally: Tally; since: number; until: number } {
    const e = Math.floor(now / this.bucketMs);
    const first = e - this.ring.length + 1;
    const out = new Tally(this.ring[0].classes);
    for (let i = 0; i < this.ring.length; i++) if (this.epochs[i] >= first && this.epochs[i] <= e) out.merge(this.ring[i]);
    return { tally: out, since: first * this.bucketMs, until: now };
  }
}
