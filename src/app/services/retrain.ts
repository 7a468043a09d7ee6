import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nearKey } from '../../core/dataset/index.js';
import type { LabelledText } from '../../core/types.js';
import type { ReviewStore } from '../../ports/review-store.js';
import type { TrackingStore } from '../../ports/tracking-store.js';
import { loadExamples, type LoadOptions } from './dataset.js';
import type { FeedbackExamples } from './feedback.js';
import { gateModels, gateThenPromote, type GateRun } from './gate.js';
import type { Gates } from '../../core/gates/index.js';
import type { Classifier, IntentModel } from '../classify/model.js';
import { registerBundle, type Registry } from './registry.js';
import { labelParams, recordEvaluation, recordLabels, trackTraining } from './runs.js';
import { machineLabels, type LabelSettings } from './retrain-labels.js';
import type { AuditVerdict, LabelReport } from '../../core/labels/index.js';
import type { PredictionLog } from '../../ports/prediction-log.js';
import { OUT_OF_SCOPE_LABELS } from '../classify/model.js';
import { train, type TrainingKit, type TrainRequest } from './train.js';
import { OUT_OF_SCOPE } from './review.js';

/** Review labels a new intent needs before retraining makes it a class (fewer cannot be cross-fitted). */
export const NEW_INTENT_MIN_EXAMPLES = 5;

export interface RetrainRequest {
  /** The current curated training data. */
  readonly data: string;
  readonly load?: LoadOptions;
  /** Labelled review items become extra training examples. */
  readonly review?: Pick<ReviewStore, 'list'>;
  /** Corrections given as feedback (FeedbackService) become extra training examples too. */
  readonly feedback?: { labelledExamples(): Promise<FeedbackExamples> };
  readonly extraExamples?: readonly LabelledText[];
  readonly test: readonly LabelledText[];
  readonly gates: Gates;
  readonly name: string;
  readonly out: string;
  readonly train: Omit<TrainRequest, 'data' | 'out' | 'name' | 'load'>;
  /** What training builds with (the container's trainingKit). */
  readonly kit: TrainingKit;
  readonly tracking: TrackingStore;
  readonly registry: Registry;
  readonly open: (dir: string) => Promise<IntentModel>;
  /** The current champion to gate against, if there is one. */
  readonly baseline?: Classifier;
  readonly who: string;
  readonly codeVersion?: string | null;
  /**
   * The prediction log whose LLM answers and sure accepted answers become machine labels under
   * `labels` (only records with a stored text). Without it, or without `labels`, none are used.
   */
  readonly predictions?: Pick<PredictionLog, 'query'>;
  readonly labels?: LabelSettings;
  /** Audit judgements of answered intents (e.g. the LLM judge's): a wrong verdict drops that label, a right one confirms it. */
  readonly audits?: () => Promise<readonly AuditVerdict[]>;
  /** The clock the label window ends at (tests pin it). */
  readonly now?: () => Date;
  /**
   * Which people's labels calibrate the routing thresholds (all of them train):
   * - `sampled` (default): only the labels of messages drawn at random from the traffic: the
   *   precision audit's items and the LLM checks (review reasons `audit`, `llm_check`). Items a
   *   reviewer took in queue order (the most doubtful first), members of an accepted discovery
   *   cluster and feedback corrections are chosen for being hard or wrong; as calibration rows they
   *   make the held-out data harder than the traffic, and the thresholds stricter with every label
   *   (bench:loop, 2026-12-07, `hashed+onnx` seed 2: with them the LLM share rose from 19 % on
   *   day 6 to 61 % on day 10 while the champion's test accuracy rose; without them, 23 %);
   * - `all`: every review label and feedback correction, as before.
   * People's "not one of ours" labels calibrate in both: the novelty fit learns from them.
   */
  readonly calibrateOn?: CalibrateOn;
}

export type CalibrateOn = 'all' | 'sampled';

/** Review reasons whose items are a random sample of the traffic (config review.llmCheckSampleRate, monitor.audit.sampleRate). */
const SAMPLED_REASONS: readonly string[] = ['audit', 'llm_check'];

export interface RetrainResult {
  readonly runId: string;
  /**
   * Examples added to the data: from the review queue, from feedback, given directly; `superseded`
   * review/feedback labels lost to a later label of the same text; `feedbackWithoutText`
   * corrections that could not be used because their prediction's text was not stored.
   */
  readonly added: {
    readonly review: number;
    readonly feedback: number;
    readonly extra: number;
    readonly superseded: number;
    readonly feedbackWithoutText: number;
    /** Review labels saying "not one of ours" (trained as the out-of-scope class). */
    readonly outOfScope: number;
    /** Intents the data did not have that reviewers named, with their examples: those with enough became classes. */
    readonly newIntents: Readonly<Record<string, number>>;
    /** New intents with too few examples yet, left out of this training (not lost: they stay labelled). */
    readonly heldBack: Readonly<Record<string, number>>;
  };
  readonly gate: GateRun;
  /** Set when the gate passed: the new version, now aliased `challenger`. */
  readonly version?: number;
  /** Machine labels (LLM, self-training): how many of each provenance were used, dropped and why; absent when none were read. */
  readonly labels?: LabelReport;
}

/** A label with the time it was given, and where it came from. */
export interface Labelled extends LabelledText {
  readonly at: string;
  readonly from: 'review' | 'feedback';
  /** A review item queued by the precision audit (its label is also the audit's verdict). */
  readonly audit?: boolean;
  /** A review item drawn at random from the traffic (an audit or an LLM check), not chosen for doubt. */
  readonly sampled?: boolean;
}

/** Every labelled review item, with the time it was labelled (paged through the queue). */
async function reviewLabels(review: Pick<ReviewStore, 'list'>): Promise<Labelled[]> {
  const out: Labelled[] = [];
  for (let after: string | undefined; ; ) {
    const page = await review.list({ state: 'labelled', limit: 1000, after });
    for (const item of page) if (item.label !== undefined) out.push({ text: item.text, label: item.label, at: item.updatedAt, from: 'review', ...(item.reason === 'audit' && { audit: true }), ...(SAMPLED_REASONS.includes(item.reason) && { sampled: true }) });
    if (page.length < 1000) return out;
    after = page[page.length - 1].id;
  }
}

/**
 * Review labels and feedback corrections of the same text (compared as the dataset compares
 * near-duplicates: case, punctuation and spacing ignored) keep only the latest label, so a
 * correction and a stale label never reach training as a conflict. Returns oldest first.
 */
export function latestLabels(labels: readonly Labelled[]): { kept: Labelled[]; superseded: number } {
  const byText = new Map<string, Labelled>();
  const ordered = [...labels].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  for (const l of ordered) {
    const key = nearKey(l.text);
    byText.delete(key); // re-insert: the map keeps the order of the latest labels
    byText.set(key, l);
  }
  return { kept: [...byText.values()], superseded: labels.length - byText.size };
}

/**
 * The retraining loop: current data + labelled review items + feedback corrections → a tracked training run →
 * evaluation on the test set → quality gate against the champion → registered as `challenger`
 * (only when the gate passes). Promotion to champion stays a separate, audited decision.
 */
export async function retrain(req: RetrainRequest): Promise<RetrainResult> {
  const base = await loadExamples(req.data, req.load);
  const fromReview = req.review ? await reviewLabels(req.review) : [];
  const fromFeedback = req.feedback ? await req.feedback.labelledExamples() : { examples: [], withoutText: 0 };
  const { kept, superseded } = latestLabels([...fromReview, ...fromFeedback.examples.map((e) => ({ text: e.text, label: e.label, at: e.at, from: 'feedback' as const }))]);
  // labels the data does not have: "not one of ours", or a new intent (a class once it has enough examples)
  const baseLabels = new Set(base.examples.map((e) => e.label));
  const fresh = new Map<string, number>();
  for (const l of kept) if (!baseLabels.has(l.label) && l.label !== OUT_OF_SCOPE) fresh.set(l.label, (fresh.get(l.label) ?? 0) + 1);
  const heldBack = Object.fromEntries([...fresh].filter(([, n]) => n < NEW_INTENT_MIN_EXAMPLES));
  const usable = kept.filter((l) => !(l.label in heldBack));
  const added = {
    review: usable.filter((l) => l.from === 'review').length,
    feedback: usable.filter((l) => l.from === 'feedback').length,
    extra: req.extraExamples?.length ?? 0,
    superseded,
    feedbackWithoutText: fromFeedback.withoutText,
    outOfScope: usable.filter((l) => l.label === OUT_OF_SCOPE).length,
    newIntents: Object.fromEntries([...fresh].filter(([, n]) => n >= NEW_INTENT_MIN_EXAMPLES)),
    heldBack,
  };
  // calibrateOn 'sampled' (default): people's labels on messages chosen for doubt train without
  // calibrating; "not one of ours" still calibrates: its held-out predictions are what the novelty
  // fit learns off-topic messages from (the routing cut never sees them)
  const calibrates = (l: Labelled) => req.calibrateOn === 'all' || l.sampled === true || l.label === OUT_OF_SCOPE;
  const extra = [...usable.filter(calibrates).map((l) => ({ text: l.text, label: l.label })), ...(req.extraExamples ?? [])];
  const chosenExamples = usable.filter((l) => !calibrates(l)).map((l) => ({ text: l.text, label: l.label, weight: 1, calibrate: false }));
  // machine labels: below people's, never contradicting them, and never calibrating unless an audit confirmed them
  const machine = req.predictions && req.labels ? await machineLabels({
    log: req.predictions,
    settings: req.labels,
    human: [
      ...base.examples.map((e) => ({ text: e.text, label: e.label, from: 'data' as const })),
      ...(req.extraExamples ?? []).map((e) => ({ text: e.text, label: e.label, from: 'data' as const })),
      ...kept.map((l) => ({ text: l.text, label: l.label, from: l.audit ? ('audit' as const) : l.from })),
    ],
    audits: req.audits ? await req.audits() : [],
    intents: [...baseLabels, ...Object.keys(added.newIntents)],
    outOfScopeLabel: base.examples.find((e) => OUT_OF_SCOPE_LABELS.includes(e.label.toLowerCase()))?.label ?? OUT_OF_SCOPE,
    baseline: req.baseline,
    now: (req.now ?? (() => new Date()))(),
  }) : undefined;
  const machineExamples = (machine?.selection.chosen ?? []).map((l) => ({ text: l.text, label: l.label, weight: l.weight, calibrate: l.audited }));
  const work = mkdtempSync(join(tmpdir(), 'intentops-retrain-'));
  try {
    const file = join(work, 'train.jsonl');
    const rows = [...base.examples.map((e) => ({ text: e.text, label: e.label })), ...extra];
    writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const { run } = await trackTraining(
      req.tracking,
      {
        name: req.name,
        codeVersion: req.codeVersion ?? null,
        params: {
          retrain: true,
          reviewExamples: added.review,
          feedbackExamples: added.feedback,
          extraExamples: added.extra,
          supersededLabels: added.superseded,
          feedbackWithoutText: added.feedbackWithoutText,
          outOfScopeExamples: added.outOfScope,
          newIntents: Object.keys(added.newIntents).join(',') || 'none',
          heldBackNewIntents: Object.keys(added.heldBack).join(',') || 'none',
          calibrateOn: req.calibrateOn ?? 'sampled',
          peopleLabelsNotCalibrating: chosenExamples.length,
          ...(machine && labelParams(machine.report)),
        },
      },
      () => train({ ...req.train, data: file, out: req.out, name: req.name, extra: [...(req.train.extra ?? []), ...chosenExamples, ...machineExamples] }, req.kit),
    );
    if (machine) await recordLabels(req.tracking, run.id, machine.report);
    const candidate = await req.open(req.out);
    let version: number | undefined;
    const { run: gate } = await gateThenPromote({
      registry: req.registry,
      name: req.name,
      alias: 'challenger',
      gate: async () => {
        const g = await gateModels({ gates: req.gates, candidate, baseline: req.baseline, examples: req.test, progress: req.train.progress });
        await recordEvaluation(req.tracking, run.id, g.candidate);
        return machine ? { ...g, labels: machine.report } : g;
      },
      version: async () => (version = (await registerBundle(req.registry, req.out, req.name, { runId: run.id, who: req.who, description: `retrained with ${added.review} review labels and ${added.feedback} feedback corrections${machine ? `, ${machine.report.llm.used} LLM and ${machine.report.self.used} self-training labels` : ''}` })).version),
      who: req.who,
      why: (g) => `retrain: ${g!.outcome.summary}`,
    });
    return { runId: run.id, added, gate: gate!, version, ...(machine && { labels: machine.report }) };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
