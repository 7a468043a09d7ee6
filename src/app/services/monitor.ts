import {
  buildProfile,
  centroidDistance,
  computeFigures,
  CONFIDENCE_BINS,
  confidenceBin,
  describeProfile,
  evaluateAlerts,
  SlidingWindow,
  type Alert,
  type Figures,
  type ReferenceProfile,
  type Thresholds,
} from '../../core/monitor/index.js';
import type { PredictionRecord } from '../../ports/prediction-log.js';
import type { Logger } from '../telemetry/index.js';
import { modelIdentity, type ClassifyInput, type ClassifyObserver, type ClassifyResult } from '../classify/service.js';
import type { IntentModel } from '../classify/model.js';
import type { AlertSink } from './alerts.js';

export type PredictionFeatures = NonNullable<PredictionRecord['features']>;

export interface MonitorSettings {
  readonly windowMinutes: number;
  /** Messages (sampled messages, for OOV and centroid distance) a rule needs before it may fire. */
  readonly minSamples: number;
  /** Share of messages whose OOV share and centroid distance are computed (they cost an extra embedding). */
  readonly sampleRate: number;
  /** Without a held-out confidence histogram in the bundle: the first this many predictions become the confidence reference. */
  readonly baselineSamples: number;
  readonly thresholds: Thresholds;
}

export interface MonitorOptions extends MonitorSettings {
  /** Where alerts go when `check()` finds some (log, metrics, webhook). */
  readonly sink?: AlertSink;
  /**
   * Sampled messages waiting for their embedding (embedded together, one batch at a time);
   * beyond this they are skipped, so a slow embedder never piles up work. Default 512.
   */
  readonly maxQueue?: number;
  readonly now?: () => number;
}

export interface MonitorSnapshot {
  readonly model: { readonly name: string; readonly version: string };
  readonly profile: ReturnType<typeof describeProfile>;
  readonly settings: { readonly windowMinutes: number; readonly minSamples: number; readonly sampleRate: number };
  readonly figures: Figures;
  readonly alerts: Alert[];
}

/**
 * The reference profile of a model from its bundle: label shares, vocabulary and validation
 * coverage from the examples and manifest; centroids from up to `maxExamples` examples
 * embedded with the model's own embedder (evenly spread, in chunks that yield to the event
 * loop). BANKING77 (10k examples, hashed): about 0.3 s. Use maxExamples 0 for an embedder that
 * costs money per call: no centroid figures then.
 */
export async function profileOf(model: IntentModel, o: { maxExamples?: number } = {}): Promise<ReferenceProfile> {
  const examples = model.examples;
  const max = Math.max(0, Math.min(o.maxExamples ?? 10_000, examples.length));
  const picked = Array.from({ length: max }, (_, i) => examples[Math.floor((i * examples.length) / max)]);
  const vectors: Float32Array[] = [];
  for (let i = 0; i < picked.length; i += 512) {
    const chunk = await model.embedder.embed(picked.slice(i, i + 512).map((e) => e.text));
    for (const e of chunk) vectors.push(e.dense);
    await new Promise((r) => setImmediate(r));
  }
  const index = new Map(model.labels.map((l, i) => [l, i]));
  return buildProfile({
    labels: model.labels,
    examples,
    coverage: model.manifest.routing.coverage,
    // recorded by the trainer when it keeps its held-out confidence histogram (manifest `monitor.confidence`)
    heldOutConfidence: (model.manifest as { monitor?: { confidence?: unknown } }).monitor?.confidence,
    embedded: { vectors, labels: Int32Array.from(picked, (e) => index.get(e.label) ?? -1) },
  });
}

/** Deterministic sampling by id: the monitor and the prediction recorder pick the same messages without talking. */
export function sampledId(id: string, rate: number): boolean {
  if (rate >= 1) return true;
  if (rate <= 0) return false;
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return (h >>> 0) / 4294967296 < rate;
}

/**
 * Drift, quality and cost monitoring of the served model: counts every answer into a sliding
 * window (label, confidence bin, route, cost: no allocation), computes the OOV share and the
 * centroid distance of a sampled share of messages, and compares the window with the model's
 * reference profile. Rebuild it when the model changes (the window belongs to one model).
 *
 * @example
 *   const monitor = await MonitorService.forModel(model, settings, { sink });
 *   const service = new ClassifyService({ model: () => model, observer: monitor });
 *   monitor.start(60_000); // evaluate the rules every minute; alerts go to the sink
 */
export class MonitorService implements ClassifyObserver {
  /** The served identity of the monitored model, read once: name the model with `serveAs` before building its monitor. */
  readonly identity: { readonly name: string; readonly version: string };
  private readonly window: SlidingWindow;
  private readonly labelIndex: Map<string, number>;
  private readonly baseline = new Float64Array(CONFIDENCE_BINS);
  private baselineN = 0;
  /** Features of sampled results, once computed (null: nothing to report), for the recorder hook. */
  private readonly done = new WeakMap<ClassifyResult, PredictionFeatures | null>();
  private queue: { r: ClassifyResult; text: string; label: number; oovShare: number | undefined }[] = [];
  private embedding = false;
  private drained: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(
    private readonly model: IntentModel,
    readonly profile: ReferenceProfile,
    private readonly o: MonitorOptions,
  ) {
    this.identity = modelIdentity(model);
    this.window = new SlidingWindow({ classes: profile.labels.length, windowMs: o.windowMinutes * 60_000 });
    this.labelIndex = new Map(profile.labels.map((l, i) => [l, i]));
    this.now = o.now ?? Date.now;
  }

  static async forModel(model: IntentModel, s: MonitorSettings & { profileExamples?: number }, o: Omit<MonitorOptions, keyof MonitorSettings> = {}): Promise<MonitorService> {
    return new MonitorService(model, await profileOf(model, { maxExamples: s.profileExamples }), { ...s, ...o });
  }

  /** ClassifyObserver: the same as observe. */
  onResult(r: ClassifyResult, input: ClassifyInput): void {
    this.observe(r, input);
  }

  /** Counts one answer; for a sampled one, also its OOV share and centroid distance (asynchronously). */
  observe(r: ClassifyResult, input: ClassifyInput): void {
    // another model's answer (the previous one finishing after a swap, a canary's challenger) is not ours to count
    if (r.model.version !== this.identity.version) return;
    const label = this.labelIndex.get(r.intent) ?? -1;
    // the local model's confidence (route llm answers carry the LLM's intent and no probability)
    this.window.at(this.now()).count(label, r.local.confidence, r.route, r.cached ? 0 : (r.llm?.costUsd ?? 0));
    if (!this.profile.confidence && this.baselineN < this.o.baselineSamples) {
      this.baseline[confidenceBin(r.local.confidence)]++;
      this.baselineN++;
    }
    if (!sampledId(r.id, this.o.sampleRate)) return;
    const oovShare = this.profile.vocabulary.oovShare(input.text);
    if (!this.profile.centroids) return this.settle(r, oovShare, undefined);
    if (this.queue.length >= (this.o.maxQueue ?? 512)) return;
    this.queue.push({ r, text: input.text, label, oovShare });
    if (this.embedding) return;
    this.embedding = true;
    this.drained = new Promise<void>((done) => setImmediate(() => void this.embedQueued().finally(done)));
  }

  /** Resolves when every sampled message observed so far has its features (tests, shutdown). */
  idle(): Promise<void> {
    return this.drained;
  }

  /**
   * The prediction recorder's `features` hook (called at flush time, after observe): the drift
   * features of a sampled message, undefined for messages outside the sample. When the embedding
   * has not finished (or observe never saw the result) only the OOV share is given.
   */
  features(input: ClassifyInput, r: ClassifyResult): PredictionFeatures | undefined {
    if (r.model.version !== this.identity.version || !sampledId(r.id, this.o.sampleRate)) return undefined;
    const known = this.done.get(r);
    if (known !== undefined) return known ?? undefined;
    const oovShare = this.profile.vocabulary.oovShare(input.text);
    return oovShare === undefined ? undefined : { oovShare };
  }

  private settle(r: ClassifyResult, oovShare: number | undefined, distance: number | undefined): void {
    this.window.at(this.now()).features(oovShare, distance, this.profile.distance?.p95 ?? Number.POSITIVE_INFINITY);
    this.done.set(r, oovShare === undefined && distance === undefined ? null : { ...(oovShare === undefined ? {} : { oovShare }), ...(distance === undefined ? {} : { centroidDistance: distance }) });
  }

  /** Embeds the queued samples in one call, then the ones queued meanwhile, until none is left. */
  private async embedQueued(): Promise<void> {
    const c = this.profile.centroids!;
    while (this.queue.length) {
      const batch = this.queue;
      this.queue = [];
      let dense: Float32Array[] | undefined;
      try {
        dense = (await this.model.embedder.embed(batch.map((q) => q.text))).map((e) => e.dense);
      } catch {
        // a failed embedding loses these samples' distances, never a request: the answers were already given
      }
      batch.forEach((q, i) => this.settle(q.r, q.oovShare, dense ? centroidDistance(c, q.label, dense[i]) : undefined));
    }
    this.embedding = false;
  }

  /** Every figure of the current window, and the alerts they raise (not dispatched: see check). */
  snapshot(): MonitorSnapshot {
    const now = this.now();
    const { tally, since } = this.window.totals(now);
    const baseline = this.baselineN >= this.o.baselineSamples ? this.baseline : undefined;
    const figures = computeFigures(this.profile, tally, { since, until: now, baseline });
    return {
      model: this.identity,
      profile: describeProfile(this.profile),
      settings: { windowMinutes: this.o.windowMinutes, minSamples: this.o.minSamples, sampleRate: this.o.sampleRate },
      figures,
      alerts: evaluateAlerts(figures, this.o.thresholds, this.o.minSamples),
    };
  }

  /** snapshot() and sends its alerts to the sink (which deduplicates them). */
  check(): MonitorSnapshot {
    const s = this.snapshot();
    if (s.alerts.length) this.o.sink?.emit(s.alerts, { model: s.model });
    return s;
  }

  /** Runs check() every `everyMs` (timer unref'd: it never keeps the process alive). */
  start(everyMs = 60_000): this {
    this.stop();
    this.timer = setInterval(() => this.check(), everyMs);
    this.timer.unref();
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/**
 * The monitor of whatever model is served now: `current()` is compared with the monitored model
 * on every answer (one pointer comparison) and, when the model was swapped (SIGHUP, alias move,
 * rollout promotion), a new MonitorService is built in the background and replaces the old one
 * once its profile is ready. Until then the old window stays visible and the new model's
 * answers are not counted, so no window ever mixes two models.
 *
 * @example
 *   const monitors = await new ServedMonitor(() => model, settings, { sink, log }).start();
 *   const service = new ClassifyService({ model: () => model, observer: monitors });
 */
export class ServedMonitor implements Pick<ClassifyObserver, 'onResult'> {
  private monitor: MonitorService | undefined;
  private monitored: IntentModel | undefined;
  private building: IntentModel | undefined;
  private pending: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly current: () => IntentModel,
    private readonly s: MonitorSettings & { profileExamples?: number; evaluateSeconds?: number },
    private readonly o: { sink?: AlertSink; log?: Logger; now?: () => number } = {},
  ) {}

  /** Builds the first monitor: await it at start-up so /v1/monitor answers from the first request. */
  async start(): Promise<this> {
    await this.build(this.current());
    return this;
  }

  /** The monitor of the served model (the previous model's while a new profile is being built). */
  get(): MonitorService | undefined {
    this.follow();
    return this.monitor;
  }

  onResult(r: ClassifyResult, input: ClassifyInput): void {
    this.follow();
    this.monitor?.observe(r, input);
  }

  /** The prediction recorder's `features` hook. */
  features(input: ClassifyInput, r: ClassifyResult): PredictionFeatures | undefined {
    return this.monitor?.features(input, r);
  }

  /** Resolves when the monitor being built (if any) is in place. */
  settled(): Promise<void> {
    return this.pending;
  }

  stop(): void {
    this.stopped = true;
    this.monitor?.stop();
  }

  private follow(): void {
    const m = this.current();
    if (m !== this.monitored && m !== this.building && !this.stopped) this.pending = this.build(m);
  }

  private async build(m: IntentModel): Promise<void> {
    this.building = m;
    try {
      const next = await MonitorService.forModel(m, this.s, { sink: this.o.sink, now: this.o.now });
      if (this.building !== m || this.stopped) return;
      this.monitor?.stop();
      this.monitor = next.start((this.s.evaluateSeconds ?? 60) * 1000);
      this.monitored = m;
      this.o.log?.info({ model: next.identity, profile: describeProfile(next.profile) }, 'monitoring the served model');
    } catch (e) {
      this.o.log?.warn({ err: (e as Error).message }, 'could not build the monitoring profile; the model is served unmonitored');
      this.monitored = m; // do not retry on every request
    } finally {
      if (this.building === m) this.building = undefined;
    }
  }
}

export { AlertDispatcher, type AlertSink, type WebhookOptions } from './alerts.js';
