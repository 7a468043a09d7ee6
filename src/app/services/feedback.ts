import { IntentOpsError } from '../../core/errors.js';
import { redact as redactBuiltIn, type Redactor } from '../../core/privacy/index.js';
import type { LabelledText } from '../../core/types.js';
import type { Feedback, FeedbackStore } from '../../ports/feedback-store.js';
import type { PredictionLog } from '../../ports/prediction-log.js';

export interface FeedbackDeps {
  readonly store: FeedbackStore;
  /** Where served predictions are looked up (feedback must name one). */
  readonly predictions: Pick<PredictionLog, 'get'>;
  /** The intents a correction may name (the served model's); unchecked when absent. */
  readonly labels?: () => readonly string[];
  /** Applied to comments. Default: the built-in detectors. */
  readonly redact?: Redactor;
  /** Predictions still buffered (the recorder): flushed once before a prediction is declared unknown. */
  readonly pending?: { flush(): Promise<void> };
}

export interface GiveFeedback {
  readonly predictionId: string;
  readonly correctIntent?: string;
  readonly rating?: -1 | 0 | 1;
  readonly comment?: string;
}

/** Corrections turned into training examples, and how many could not be (no stored text). */
export interface FeedbackExamples {
  /** Oldest first; `at` is when the correction was given (later labels win in retraining). */
  readonly examples: (LabelledText & { readonly at: string; readonly predictionId: string })[];
  /** Corrections whose prediction has no stored text (events.storeTexts was off) or was purged. */
  readonly withoutText: number;
}

/** How many prediction lookups run at once when joining corrections with their texts. */
const JOIN_CONCURRENCY = 32;

function shown(labels: readonly string[]): string {
  return labels.length > 10 ? `${labels.slice(0, 10).join(', ')}, … (${labels.length} in all)` : labels.join(', ');
}

/**
 * The feedback use case behind `POST /v1/feedback` and `intentops feedback`: a rating and/or the
 * correct intent for a served prediction. The prediction must be in the log, a correction must
 * be one of the model's intents (so a typo never becomes a training example), and comments are
 * PII-redacted before they are stored.
 *
 * @example
 *   const feedback = new FeedbackService({ store, predictions: log, labels: () => model.labels });
 *   await feedback.give({ predictionId: answer.id, correctIntent: 'refund', rating: -1 }, 'ana');
 *   const { examples } = await feedback.labelledExamples();
 */
export class FeedbackService {
  private readonly redact: Redactor;

  constructor(private readonly deps: FeedbackDeps) {
    this.redact = deps.redact ?? redactBuiltIn;
  }

  async give(f: GiveFeedback, source: string): Promise<Feedback> {
    if (typeof f?.predictionId !== 'string' || !f.predictionId.trim()) {
      throw new IntentOpsError('invalid_input', 'predictionId is required: the `id` of the classify answer the feedback is about', { where: 'predictionId' });
    }
    if (f.correctIntent === undefined && f.rating === undefined) {
      throw new IntentOpsError('invalid_input', 'feedback needs correctIntent, rating, or both', { where: 'correctIntent', hint: 'e.g. { "predictionId": "…", "correctIntent": "refund" } or { "predictionId": "…", "rating": -1 }' });
    }
    const known = this.deps.labels?.();
    if (f.correctIntent !== undefined && known && !known.includes(f.correctIntent)) {
      throw new IntentOpsError('invalid_input', `unknown intent ${JSON.stringify(f.correctIntent)}`, { where: 'correctIntent', hint: `use one of the model's intents: ${shown(known)}` });
    }
    await this.requirePrediction(f.predictionId);
    return this.deps.store.add({
      predictionId: f.predictionId,
      ...(f.correctIntent !== undefined && { correctIntent: f.correctIntent }),
      ...(f.rating !== undefined && { rating: f.rating }),
      ...(f.comment !== undefined && { comment: this.redact(f.comment).text }),
      source,
    });
  }

  private async requirePrediction(id: string): Promise<void> {
    if (await this.deps.predictions.get(id)) return;
    // an answer given a moment ago may still be in the recorder's buffer
    if (this.deps.pending) {
      await this.deps.pending.flush();
      if (await this.deps.predictions.get(id)) return;
    }
    throw new IntentOpsError('not_found', `prediction ${JSON.stringify(id)} is not in the prediction log`, {
      where: 'predictionId',
      hint: 'use the `id` of a classify answer; predictions are only logged when events are enabled (events.uri is not none), and are purged after events.retentionDays',
    });
  }

  /** Feedback, oldest first. */
  list(q: { since?: string; predictionId?: string; limit?: number } = {}): Promise<Feedback[]> {
    return this.deps.store.list(q);
  }

  /**
   * Corrections (feedback with correctIntent) given since `since`, joined with their predictions'
   * stored (redacted) texts: training examples for `intentops retrain`. The latest correction of
   * a prediction wins.
   */
  async labelledExamples(since?: string): Promise<FeedbackExamples> {
    const latest = new Map<string, Feedback>();
    for (const f of await this.deps.store.list(since === undefined ? {} : { since })) {
      if (f.correctIntent !== undefined) {
        latest.delete(f.predictionId); // re-insert: the map keeps the order of the latest corrections
        latest.set(f.predictionId, f);
      }
    }
    const corrections = [...latest.values()];
    const texts: (string | undefined)[] = [];
    for (let i = 0; i < corrections.length; i += JOIN_CONCURRENCY) {
      const chunk = corrections.slice(i, i + JOIN_CONCURRENCY);
      texts.push(...(await Promise.all(chunk.map(async (f) => (await this.deps.predictions.get(f.predictionId))?.text))));
    }
    const examples: FeedbackExamples['examples'][number][] = [];
    corrections.forEach((f, i) => {
      const text = texts[i];
      if (text !== undefined && text.trim()) examples.push({ text, label: f.correctIntent!, at: f.at, predictionId: f.predictionId });
    });
    return { examples, withoutText: corrections.length - examples.length };
  }
}
