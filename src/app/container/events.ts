import { openBroker } from '../../adapters/broker/index.js';
import { openPredictionLog as openPredictionLogAt } from '../../adapters/prediction-log/index.js';
import { openFeedbackStore } from '../../adapters/feedback-store/index.js';
import { openReviewStore } from '../../adapters/review-store/index.js';
import { IntentOpsError } from '../../core/errors.js';
import { createRedactor } from '../../core/privacy/index.js';
import type { Broker } from '../../ports/broker.js';
import type { FeedbackStore } from '../../ports/feedback-store.js';
import type { PredictionLog } from '../../ports/prediction-log.js';
import type { Config } from '../config.js';
import { FeedbackService } from '../services/feedback.js';
import type { OutcomeSources } from '../services/rollout.js';
import { openModel, resolveModelRef } from './models.js';

/*
 * Part of the composition root (src/app/container/index.ts): the event stores (prediction log,
 * feedback) and the broker, for the CLI commands that read or write them outside serving.
 */

const OFF = 'none';

/** The prediction log at `uri` (a `--log` flag, else events.uri). */
export async function openPredictionLog(uri: string): Promise<PredictionLog> {
  return openPredictionLogAt(uri);
}

/** The broker `intentops worker` reads from and answers to: config.broker with its flags applied. */
export async function openBrokerFor(b: Config['broker']): Promise<Broker> {
  return openBroker(b.uri, { stream: b.stream, in: b.in, out: b.out, dlq: b.dlq, consumer: b.consumer, maxInFlight: b.concurrency, ackWaitMs: b.ackWaitMs });
}

export interface OpenEvents {
  readonly predictions: PredictionLog;
  readonly store: FeedbackStore;
  readonly feedback: FeedbackService;
  close(): Promise<void>;
}

/**
 * The prediction log and feedback store from `--store` or events.uri, and the feedback service
 * over them (corrections checked against the intents of `modelRef`, when given).
 */
export async function openEvents(c: Config, o: { store?: string; modelRef?: string } = {}): Promise<OpenEvents> {
  const uri = o.store ?? c.events.uri;
  if (uri === 'none') {
    throw new IntentOpsError('invalid_config', 'no prediction log or feedback store: events.uri is none', { where: 'events.uri', hint: 'pass --store sqlite:./intentops.db (or postgres://…), or set events.uri / INTENTOPS_EVENTS_URI' });
  }
  const redact = createRedactor(c.events.redact.patterns);
  const labels = o.modelRef ? (await openModel(await resolveModelRef(o.modelRef, c), c)).labels : undefined;
  const predictions = await openPredictionLog(uri);
  let store: FeedbackStore;
  try {
    store = await openFeedbackStore(uri);
  } catch (e) {
    await predictions.close();
    throw e;
  }
  const feedback = new FeedbackService({ store, predictions, redact, labels: labels ? () => labels : undefined });
  return { predictions, store, feedback, close: async () => void (await Promise.allSettled([predictions.close(), store.close()])) };
}

/** The review queue and, when configured, the prediction log and feedback (events.uri). */
export async function openOutcomes(c: Config): Promise<{ value: OutcomeSources; close(): Promise<void> }> {
  const closers: { close(): Promise<void> }[] = [];
  const value: { -readonly [K in keyof OutcomeSources]: OutcomeSources[K] } = {};
  try {
    if (c.review.uri !== OFF) closers.push((value.reviews = await openReviewStore(c.review.uri)));
    if (c.events.uri !== OFF) {
      closers.push((value.predictions = await openPredictionLog(c.events.uri)));
      closers.push((value.feedback = await openFeedbackStore(c.events.uri)));
    }
  } catch (e) {
    await Promise.allSettled(closers.map((x) => x.close()));
    throw e;
  }
  return { value, close: async () => void (await Promise.allSettled(closers.map((x) => x.close()))) };
}
