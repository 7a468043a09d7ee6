import { type AuditVerdict, type HumanLabel, type LabelCandidate, type LabelPolicy, type LabelReport, type LabelSelection, selectLabels } from '../../core/labels/index.js';
import type { PredictionLog, PredictionRecord } from '../../ports/prediction-log.js';
import type { Classifier } from '../classify/model.js';
import { OUT_OF_SCOPE_LABELS } from '../classify/model.js';
import { readPeriod } from './monitor-report.js';

/**
 * Machine labels for retraining: the LLM's answers and the model's sure answers, read from the
 * prediction log, given to the label policy (src/core/labels) with the labels people gave.
 */
export interface LabelSettings extends LabelPolicy {
  /** Candidates are the answers of the last sinceDays days. */
  readonly sinceDays: number;
  /** At most this many candidates are kept (the newest). */
  readonly maxCandidates: number;
  /** Measure agreement with the baseline's nearest labelled examples (implied by a minAgreement above 0). */
  readonly measureAgreement: boolean;
}

/** Neighbours asked for per candidate when agreement is measured. */
export const AGREEMENT_NEIGHBOURS = 5;
/** Candidates classified per call when agreement is measured. */
const AGREEMENT_BATCH = 256;

/** The prompt variant of an LLM answer, when the record carries one (an optional field of newer records). */
function promptVariant(r: PredictionRecord): string | undefined {
  const v = (r.llm as { variant?: unknown } | undefined)?.variant;
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** An LLM or accepted answer as a candidate label, or why it is none. */
function candidateOf(r: PredictionRecord): LabelCandidate | 'no_text' | null {
  if (r.variant === 'shadow' || (r.route !== 'llm' && r.route !== 'accepted')) return null;
  if (r.text === undefined || r.text.trim() === '') return 'no_text';
  if (r.route === 'llm') {
    const variant = promptVariant(r);
    return { id: r.id, at: r.at, text: r.text, label: r.intent, source: 'llm', llmModel: r.llm?.model ?? 'unknown', ...(variant && { promptVariant: variant }) };
  }
  return { id: r.id, at: r.at, text: r.text, label: r.intent, source: 'self', confidence: r.confidence };
}

/** Reads the candidates of the window, oldest first, keeping the newest `max` (bounded memory). */
export async function readCandidates(log: Pick<PredictionLog, 'query'>, since: string, until: string, max: number): Promise<{ candidates: LabelCandidate[]; records: number; withoutText: number; truncated: number }> {
  let candidates: LabelCandidate[] = [];
  let records = 0;
  let withoutText = 0;
  let truncated = 0;
  for await (const r of readPeriod(log, { since, until })) {
    if (r.variant === 'shadow') continue;
    records++;
    const c = candidateOf(r);
    if (c === 'no_text') withoutText++;
    else if (c) candidates.push(c);
    if (candidates.length >= 2 * max) {
      truncated += candidates.length - max;
      candidates = candidates.slice(candidates.length - max);
    }
  }
  if (candidates.length > max) {
    truncated += candidates.length - max;
    candidates = candidates.slice(candidates.length - max);
  }
  return { candidates, records, withoutText, truncated };
}

/** Each candidate with the share of the baseline's nearest labelled examples that carry its label. */
async function withAgreement(candidates: readonly LabelCandidate[], baseline: Classifier): Promise<LabelCandidate[]> {
  const oos = new Set(OUT_OF_SCOPE_LABELS);
  const out: LabelCandidate[] = [];
  for (let i = 0; i < candidates.length; i += AGREEMENT_BATCH) {
    const batch = candidates.slice(i, i + AGREEMENT_BATCH);
    const preds = await baseline.classify(batch.map((c) => c.text), { neighbours: AGREEMENT_NEIGHBOURS, llmAvailable: true });
    batch.forEach((c, j) => {
      const nb = preds[j].neighbours;
      const same = (intent: string) => intent === c.label || (oos.has(c.label.toLowerCase()) && oos.has(intent.toLowerCase()));
      out.push(nb.length ? { ...c, agreement: nb.filter((n) => same(n.intent)).length / nb.length } : c);
    });
  }
  return out;
}

export interface MachineLabelsRequest {
  readonly log: Pick<PredictionLog, 'query'>;
  readonly settings: LabelSettings;
  readonly human: readonly HumanLabel[];
  readonly audits: readonly AuditVerdict[];
  /** The intents the new model will have. */
  readonly intents: readonly string[];
  /** The label out-of-scope machine labels are trained as. */
  readonly outOfScopeLabel: string;
  /** The current champion, whose nearest labelled examples agreement is measured against. */
  readonly baseline?: Classifier;
  readonly now: Date;
}

/** Candidates from the log → the policy's selection, with the report the run records. */
export async function machineLabels(req: MachineLabelsRequest): Promise<{ selection: LabelSelection; report: LabelReport }> {
  const s = req.settings;
  const since = new Date(req.now.getTime() - s.sinceDays * 86_400_000).toISOString();
  // records are written with millisecond times; one past now includes this instant
  const until = new Date(req.now.getTime() + 1).toISOString();
  const read = await readCandidates(req.log, since, until, s.maxCandidates);
  const measure = req.baseline && (s.measureAgreement || s.llm.minAgreement > 0 || s.self.minAgreement > 0);
  const candidates = measure ? await withAgreement(read.candidates, req.baseline!) : read.candidates;
  const selection = selectLabels({ candidates, human: req.human, audits: req.audits, intents: req.intents, outOfScopeLabels: [...OUT_OF_SCOPE_LABELS], outOfScopeLabel: req.outOfScopeLabel }, s);
  const policy: LabelPolicy = { llm: s.llm, self: s.self, maxPerIntent: s.maxPerIntent, maxPerIntentPerDay: s.maxPerIntentPerDay };
  return { selection, report: { since, records: read.records, withoutText: read.withoutText, truncated: read.truncated, llm: selection.counts.llm, self: selection.counts.self, policy } };
}
