import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabelledText } from '../../core/types.js';
import type { ReviewStore } from '../../ports/review-store.js';
import type { TrackingStore } from '../../ports/tracking-store.js';
import { loadExamples, type LoadOptions } from './dataset.js';
import { gateModels, type GateRun } from './gate.js';
import type { Gates } from '../../core/gates/index.js';
import type { Classifier, IntentModel } from './model.js';
import { registerBundle, setAlias, type Registry } from './registry.js';
import { recordEvaluation, trackTraining } from './runs.js';
import { trainModel, type TrainRequest } from './train.js';

export interface RetrainRequest {
  /** The current curated training data. */
  readonly data: string;
  readonly load?: LoadOptions;
  /** Labelled review items (and, later, feedback) become extra training examples. */
  readonly review?: ReviewStore;
  readonly extraExamples?: readonly LabelledText[];
  readonly test: readonly LabelledText[];
  readonly gates: Gates;
  readonly name: string;
  readonly out: string;
  readonly train: Omit<TrainRequest, 'data' | 'out' | 'name' | 'load'>;
  readonly tracking: TrackingStore;
  readonly registry: Registry;
  readonly open: (dir: string) => Promise<IntentModel>;
  /** The current champion to gate against, if there is one. */
  readonly baseline?: Classifier;
  readonly who: string;
  readonly codeVersion?: string | null;
}

export interface RetrainResult {
  readonly runId: string;
  readonly added: { readonly review: number; readonly extra: number };
  readonly gate: GateRun;
  /** Set when the gate passed: the new version, now aliased `challenger`. */
  readonly version?: number;
}

/**
 * The retraining loop: current data + labelled review items → a tracked training run →
 * evaluation on the test set → quality gate against the champion → registered as `challenger`
 * (only when the gate passes). Promotion to champion stays a separate, audited decision.
 */
export async function retrain(req: RetrainRequest): Promise<RetrainResult> {
  const base = await loadExamples(req.data, req.load);
  const reviewed = req.review ? await req.review.labelled() : [];
  const extra = [...reviewed.map((r) => ({ text: r.text, label: r.label })), ...(req.extraExamples ?? [])];
  const work = mkdtempSync(join(tmpdir(), 'intentops-retrain-'));
  try {
    const file = join(work, 'train.jsonl');
    const rows = [...base.examples.map((e) => ({ text: e.text, label: e.label })), ...extra];
    writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const { run } = await trackTraining(
      req.tracking,
      { name: req.name, codeVersion: req.codeVersion ?? null, params: { retrain: true, reviewExamples: reviewed.length, extraExamples: req.extraExamples?.length ?? 0 } },
      () => trainModel({ ...req.train, data: file, out: req.out, name: req.name }),
    );
    const candidate = await req.open(req.out);
    const gate = await gateModels({ gates: req.gates, candidate, baseline: req.baseline, examples: req.test });
    await recordEvaluation(req.tracking, run.id, gate.candidate);
    let version: number | undefined;
    if (gate.outcome.passed) {
      const v = await registerBundle(req.registry, req.out, req.name, { runId: run.id, who: req.who, description: `retrained with ${reviewed.length} review labels` });
      await setAlias(req.registry, req.name, 'challenger', v.version, { who: req.who, why: `retrain: ${gate.outcome.summary}` });
      version = v.version;
    }
    return { runId: run.id, added: { review: reviewed.length, extra: req.extraExamples?.length ?? 0 }, gate, version };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
