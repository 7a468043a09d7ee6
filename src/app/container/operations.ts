import { openPredictionLog } from '../../adapters/prediction-log/index.js';
import { openFeedbackStore } from '../../adapters/feedback-store/index.js';
import { openSpendCounter } from '../../adapters/spend/index.js';
import { openSpool } from '../../adapters/spool.js';
import { openTrackingStore } from '../../adapters/tracking/index.js';
import { createRedactor, type Redactor } from '../../core/privacy/index.js';
import type { FeedbackStore } from '../../ports/feedback-store.js';
import type { Llm } from '../../ports/llm.js';
import type { PredictionLog, PredictionRecord } from '../../ports/prediction-log.js';
import type { TrackingStore } from '../../ports/tracking-store.js';
import type { Config } from '../config.js';
import { LlmBudget } from '../services/budget.js';
import type { ClassifyInput, ClassifyObserver, ClassifyResult } from '../classify/service.js';
import { FeedbackService } from '../services/feedback.js';
import type { IntentModel } from '../classify/model.js';
import { AlertDispatcher, ServedMonitor } from '../services/monitor.js';
import { registerMonitorMetrics } from '../telemetry/monitor-metrics.js';
import { PredictionRecorder } from '../services/prediction-recorder.js';
import type { Logger, ServiceMetrics } from '../telemetry/index.js';

const OFF = 'none';

/** The operations side of serving: prediction log and feedback, drift monitors, LLM budget, run history. */
export interface Operations {
  readonly redactor: Redactor;
  readonly predictions?: PredictionLog;
  readonly feedbackStore?: FeedbackStore;
  readonly feedback?: FeedbackService;
  readonly recorder?: PredictionRecorder;
  readonly monitors?: ServedMonitor;
  readonly budget?: LlmBudget;
  readonly tracking?: TrackingStore;
  /** The LLM to serve with: wrapped by the daily budget when one is set. */
  readonly llm?: Llm;
  /** Readiness probes of the stores opened here. */
  readonly checks: Record<string, () => Promise<void>>;
  /** Told of every result and shadow score (monitors, then the recorder). */
  readonly observer: Pick<ClassifyObserver, 'onResult' | 'onShadow' | 'onLlmShadow'>;
  /** Flushes the recorder and stops the monitors; then closes the stores. */
  close(): Promise<void>;
}

/**
 * Part of the composition root (serving.ts calls it from openServing): opens the
 * event stores, the monitor of the served model, the budget and the tracking store named by
 * config. On failure it closes what it opened before rethrowing.
 */
export async function openOperations(c: Config, o: { log: Logger; metrics: ServiceMetrics; current: () => IntentModel; llm?: Llm }): Promise<Operations> {
  const { log, metrics } = o;
  const opened: { close(): Promise<void> }[] = [];
  const closeOpened = () => Promise.allSettled(opened.reverse().map((x) => x.close()));
  try {
    // a bad redaction pattern fails here, at start-up, naming its config field
    const redactor = createRedactor(c.events.redact.patterns);
    const predictions = c.events.uri === OFF ? undefined : await openPredictionLog(c.events.uri);
    if (predictions) opened.push(predictions);
    const feedbackStore = c.events.uri === OFF ? undefined : await openFeedbackStore(c.events.uri);
    if (feedbackStore) opened.push(feedbackStore);
    const tracking = c.tracking.uri === OFF ? undefined : await openTrackingStore(c.tracking.uri);
    if (tracking) opened.push(tracking);

    const mc = c.monitor;
    const webhook = mc.webhook.url ? { webhook: { url: mc.webhook.url, timeoutMs: mc.webhook.timeoutMs, retries: mc.webhook.retries } } : {};
    const sink = new AlertDispatcher({ log, registry: metrics.registry, cooldownMinutes: mc.webhook.cooldownMinutes, ...webhook });
    const monitors = mc.enabled ? await new ServedMonitor(o.current, mc, { sink, log }).start() : undefined;
    if (monitors) registerMonitorMetrics(metrics.registry, () => monitors.get());
    const budget = mc.budget.dailyUsd > 0 ? new LlmBudget(await openSpendCounter(mc.budget.uri), { ...mc.budget, sink, log }) : undefined;
    if (budget) {
      opened.push(budget);
      budget.registerMetrics(metrics.registry);
    }

    const recorder = predictions
      ? new PredictionRecorder({
          log: predictions,
          storeTexts: c.events.storeTexts,
          redact: redactor,
          flushMs: c.events.flushMs,
          batchSize: c.events.batchSize,
          maxBuffered: c.events.maxBuffered,
          // records that do not fit the buffer while the log is away wait on disk (none: they are dropped and counted)
          spool: c.events.spoolDir ? openSpool<PredictionRecord>({ dir: c.events.spoolDir, name: 'predictions', capacity: c.events.spoolMax }) : undefined,
          features: (input, r) => monitors?.features(input, r),
          onError: (e, lost) => log.warn({ err: (e as Error).message, lost }, 'prediction log: records not written'),
        })
      : undefined;
    const feedback = feedbackStore && predictions ? new FeedbackService({ store: feedbackStore, predictions, labels: () => o.current().labels, redact: redactor, pending: recorder }) : undefined;
    const checks: Record<string, () => Promise<void>> = {};
    // a log known to be away (the recorder's writes fail) is said at once, without waiting on the probe's deadline
    if (predictions)
      checks.events = async () => {
        if (recorder && !recorder.stats.up) throw new Error('unreachable; predictions are buffered');
        await predictions.get('readyz:probe');
      };
    if (tracking) checks.tracking = async () => void (await tracking.listRuns({ limit: 1 }));
    return {
      redactor,
      predictions,
      feedbackStore,
      feedback,
      recorder,
      monitors,
      budget,
      tracking,
      llm: o.llm && budget ? budget.wrap(o.llm) : o.llm,
      checks,
      observer: {
        onResult(r: ClassifyResult, input: ClassifyInput) {
          monitors?.onResult(r, input);
          recorder?.onResult(r, input);
        },
        onShadow(champion: ClassifyResult, shadow: ClassifyResult, input: ClassifyInput) {
          recorder?.onShadow(champion, shadow, input);
        },
        onLlmShadow(answer: Omit<ClassifyResult, 'timings'>, shadow: ClassifyResult, input: ClassifyInput) {
          recorder?.onLlmShadow(answer, shadow, input);
        },
      },
      async close() {
        monitors?.stop();
        // the recorder's last flush must reach the log before the log closes
        await recorder?.close();
        await closeOpened();
      },
    };
  } catch (e) {
    await closeOpened();
    throw e;
  }
}
