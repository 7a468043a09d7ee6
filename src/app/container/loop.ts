import { openPredictionLog } from '../../adapters/prediction-log/index.js';
import { openFeedbackStore } from '../../adapters/feedback-store/index.js';
import { openLoopStore } from '../../adapters/loop/index.js';
import { openReviewStore } from '../../adapters/review-store/index.js';
import { openRolloutStore } from '../../adapters/rollout/index.js';
import { IntentOpsError } from '../../core/errors.js';
import type { LoopIteration, LoopStore } from '../../ports/loop-store.js';
import type { ModelVersion } from '../../ports/registry-store.js';
import type { Config } from '../config.js';
import { AlertDispatcher } from '../services/alerts.js';
import { loadExamples } from '../services/dataset.js';
import { FeedbackService } from '../services/feedback.js';
import { loadGatesFile } from '../services/gate.js';
import { LoopService } from '../services/loop.js';
import { resolveModelUri, type Registry } from '../services/registry.js';
import { RolloutService, rolloutModelName, type OutcomeSources } from '../services/rollout.js';
import type { ProgressReporter } from '../services/progress.js';
import type { Logger } from '../telemetry/index.js';
import { createLogger } from '../telemetry/index.js';
import { versionGate } from './gate.js';
import { abRule } from './rollout.js';
import { loadOptions, openGateModel, openRegistry, openTracking, trainSettings } from './models.js';
import { trainingKit } from './train.js';

/* Part of the composition root (src/app/container/index.ts): the loop (`intentops loop`). */

const OFF = 'none';
/** Prediction records read at most to count the LLM answers logged since the last retrain (enough to pass any sensible loop.minNewLabels). */
const MACHINE_COUNT_LIMIT = 50_000;

export interface OpenLoopOptions {
  readonly who: string;
  readonly log?: Logger;
  readonly now?: () => Date;
  /** Crash tests: where the loop may be stopped (LoopDeps.checkpoint). */
  readonly checkpoint?: (point: string, it: LoopIteration) => void | Promise<void>;
  /** Told each stage of a retrain (embedding, cross-fitting, out-of-scope calibration, the gate's evaluations): e.g. to time them. */
  readonly progress?: ProgressReporter;
}

/** The loop store and the model it is about (loop.name, else the only registered model). */
export async function openLoopStatus(c: Config): Promise<{ store: LoopStore; name: string; close(): Promise<void> }> {
  const registry = await openRegistry(c);
  try {
    const name = c.loop.name ?? (await rolloutModelName(registry));
    const store = await openLoopStore(c.registry.uri);
    return { store, name, close: async () => void (await Promise.allSettled([store.close(), registry.store.close()])) };
  } catch (e) {
    await registry.store.close();
    throw e;
  }
}

const need = (value: string | undefined, field: string, what: string): string => {
  if (value) return value;
  throw new IntentOpsError('invalid_config', `the loop needs ${what}: ${field} is not set`, { where: field, hint: `set ${field} in the config file (or INTENTOPS_${field.replace('.', '_').toUpperCase()})` });
};

/**
 * The loop over the configured stores: registry + rollout + loop state (registry.uri), review
 * queue, prediction log and feedback (events.uri), tracking, alerts (log, counter, webhook).
 */
export async function openLoop(c: Config, o: OpenLoopOptions): Promise<{ service: LoopService; name: string; close(): Promise<void> }> {
  const data = need(c.loop.data, 'loop.data', 'the curated training data');
  const testFile = need(c.loop.test, 'loop.test', 'held-out labelled test data');
  const gates = loadGatesFile(c.loop.gates);
  const test = (await loadExamples(testFile, { ...loadOptions(c), keepDuplicates: true })).examples;
  const closers: { close(): Promise<void> }[] = [];
  const closeAll = async () => void (await Promise.allSettled(closers.reverse().map((x) => x.close())));
  try {
    const registry: Registry = await openRegistry(c);
    closers.push(registry.store);
    const name = c.loop.name ?? (await rolloutModelName(registry));
    const store = await openLoopStore(c.registry.uri);
    closers.push(store);
    const rolloutStore = await openRolloutStore(c.registry.uri);
    closers.push(rolloutStore);
    const tracking = await openTracking(c);
    closers.push(tracking);
    const outcomes: { -readonly [K in keyof OutcomeSources]: OutcomeSources[K] } = {};
    if (c.review.uri !== OFF) closers.push((outcomes.reviews = await openReviewStore(c.review.uri)));
    if (c.events.uri !== OFF) {
      closers.push((outcomes.predictions = await openPredictionLog(c.events.uri)));
      closers.push((outcomes.feedback = await openFeedbackStore(c.events.uri)));
    }
    const feedback = outcomes.feedback && outcomes.predictions ? new FeedbackService({ store: outcomes.feedback, predictions: outcomes.predictions }) : undefined;
    // LLM answers with a stored text count as new labels when retrain learns from them
    const predictions = outcomes.predictions;
    const machineSince =
      predictions && c.events.storeTexts && c.retrain.labels.llm.enabled
        ? async (since: string) => (await predictions.query({ since, limit: MACHINE_COUNT_LIMIT })).filter((r) => r.variant !== 'shadow' && r.route === 'llm' && r.text !== undefined).length
        : undefined;
    const rollout = new RolloutService({ registry, rollout: rolloutStore, gate: versionGate(c, { gates: c.loop.gates, data: testFile }), outcomes, rule: abRule(c) });
    const log = o.log ?? createLogger({ level: c.logging.level, destination: process.stderr });
    const mc = c.monitor.webhook;
    const alerts = new AlertDispatcher({ log, cooldownMinutes: 0, ...(mc.url ? { webhook: { url: mc.url, timeoutMs: mc.timeoutMs, retries: mc.retries } } : {}) });
    const service = new LoopService({
      name,
      store,
      registry,
      rollout,
      sources: { review: outcomes.reviews, feedback, ...(machineSince && { machineSince }) },
      retrain: { data, load: loadOptions(c), test, gates, train: { ...trainSettings(c), ...(o.progress && { progress: o.progress }) }, kit: trainingKit, tracking, registry, open: (dir) => openGateModel(dir, c), predictions: outcomes.predictions, labels: c.retrain.labels, calibrateOn: c.retrain.calibrateOn },
      open: async (v: ModelVersion) => openGateModel((await resolveModelUri(registry, `models:/${v.name}/${v.version}`)).path, c),
      settings: c.loop,
      who: o.who,
      alerts,
      now: o.now,
      checkpoint: o.checkpoint,
    });
    // alert webhooks in flight are delivered (bounded by their timeout and retries) before the stores close
    return { service, name, close: async () => (await alerts.flush(), closeAll()) };
  } catch (e) {
    await closeAll();
    throw e;
  }
}
