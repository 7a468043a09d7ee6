import { nearKey } from '../dataset/normalise.js';

/**
 * Which machine labels retraining may learn from: the LLM's answers (distillation) and the
 * model's own sure answers (self-training), each weighted below a person's label, dropped where a
 * person, the data or an audit says otherwise, deduplicated by normalised text and capped per
 * intent and per day. Pure: the caller collects the candidates and the human labels.
 */

/** Where a machine label comes from: the LLM fallback's answer, or the model's own accepted answer. */
export type Provenance = 'llm' | 'self';
export const PROVENANCES: readonly Provenance[] = Object.freeze(['llm', 'self']);

export interface LabelCandidate {
  /** The prediction's id (for tracing a label back to the message). */
  readonly id: string;
  /** ISO-8601 time of the answer. */
  readonly at: string;
  /** The stored (redacted) message text. */
  readonly text: string;
  /** The answered intent; an out-of-scope answer carries an out-of-scope label (`none`, `oos`, …). */
  readonly label: string;
  readonly source: Provenance;
  /** The LLM that answered (llm), e.g. `gpt-4o-mini`. */
  readonly llmModel?: string;
  /** The prompt variant the LLM was asked with, when the record says. */
  readonly promptVariant?: string;
  /** The model's confidence in its answer (self). */
  readonly confidence?: number;
  /** Share of the nearest labelled examples that carry this label, when measured (0–1). */
  readonly agreement?: number;
}

/** Where a label a person (or the curated data) gave comes from. */
export type HumanSource = 'data' | 'review' | 'feedback' | 'audit';

export interface HumanLabel {
  readonly text: string;
  readonly label: string;
  readonly from: HumanSource;
}

/** An audit's judgement of an answered intent for a text: `right` false means the intent was wrong. */
export interface AuditVerdict {
  readonly text: string;
  readonly intent: string;
  readonly right: boolean;
}

export interface SourcePolicy {
  readonly enabled: boolean;
  /** Training weight of one label (a person's label weighs 1). */
  readonly weight: number;
  /** Drop labels whose agreement with the nearest labelled examples is below this (0 = no filter; unmeasured labels pass). */
  readonly minAgreement: number;
}

export interface LabelPolicy {
  readonly llm: SourcePolicy & {
    /** Learn the LLM's "none of these" answers as out-of-scope examples. */
    readonly outOfScope: boolean;
  };
  readonly self: SourcePolicy & {
    /** Accepted answers below this confidence are not learnt from. */
    readonly minConfidence: number;
  };
  /** Machine labels per intent at most (the newest kept); 0 = no cap. */
  readonly maxPerIntent: number;
  /** Machine labels per intent and UTC day at most (the newest kept); 0 = no cap. */
  readonly maxPerIntentPerDay: number;
}

/**
 * Defaults. A person's label weighs 1. An LLM answer 0.5: a good LLM is right on most intent
 * messages (0.8–0.9 on BANKING77), so it teaches, but each of its labels counts as half a
 * reviewed one. A self-training label 0.3: the model was already sure of it, so it mostly
 * repeats what the model knows and can entrench its own mistakes; it only needs to pull the
 * decision boundary towards the traffic. Out-of-scope answers are off: a "none" from the LLM is
 * often a wording it did not map, and the out-of-scope class is hard to unlearn. 400 labels per
 * intent (the newest) and 50 per intent and day keep a flood of one kind of message from
 * swamping the classes the data has.
 */
export const DEFAULT_LABEL_POLICY: LabelPolicy = Object.freeze({
  llm: Object.freeze({ enabled: true, weight: 0.5, minAgreement: 0, outOfScope: false }),
  self: Object.freeze({ enabled: true, weight: 0.3, minAgreement: 0, minConfidence: 0.9 }),
  maxPerIntent: 400,
  maxPerIntentPerDay: 50,
});

/** Why a candidate was not used. */
export type DropReason =
  /** Its provenance is switched off. */
  | 'disabled'
  /** The same text already has this label from the data, a reviewer or feedback (nothing to add). */
  | 'already_labelled'
  /** A reviewer, a feedback correction, the data or an audit gave the text another label. */
  | 'contradicted'
  /** An audit judged this answer wrong. */
  | 'audit_rejected'
  /** Another machine label of the same text was kept (LLM before self, newest first). */
  | 'duplicate'
  /** Machine labels of one text that disagree (e.g. two LLM answers): none is kept. */
  | 'conflicting'
  /** A self-training label below the minimum confidence. */
  | 'low_confidence'
  /** Below the minimum agreement with the nearest labelled examples. */
  | 'low_agreement'
  /** An out-of-scope answer, and the policy does not learn them. */
  | 'out_of_scope'
  /** An intent the model does not have (a new intent is a person's decision). */
  | 'unknown_intent'
  /** Beyond the per-intent-per-day cap. */
  | 'day_cap'
  /** Beyond the per-intent cap. */
  | 'intent_cap';

export const DROP_REASONS: readonly DropReason[] = Object.freeze(['disabled', 'already_labelled', 'contradicted', 'audit_rejected', 'duplicate', 'conflicting', 'low_confidence', 'low_agreement', 'out_of_scope', 'unknown_intent', 'day_cap', 'intent_cap']);

/** A machine label retraining uses. */
export interface ChosenLabel {
  readonly text: string;
  readonly label: string;
  readonly source: Provenance;
  readonly weight: number;
  /** An audit confirmed it: it counts as a person's label (weight 1) and may calibrate. */
  readonly audited: boolean;
  readonly llmModel?: string;
  readonly promptVariant?: string;
}

export interface ProvenanceCounts {
  readonly candidates: number;
  readonly used: number;
  /** Used labels an audit confirmed. */
  readonly audited: number;
  readonly dropped: Readonly<Partial<Record<DropReason, number>>>;
  /** The `contradicted` ones by who said otherwise. */
  readonly contradictedBy: Readonly<Partial<Record<HumanSource, number>>>;
  /** Used labels per LLM model / prompt variant (llm only; `unknown` when the record does not say). */
  readonly byModel: Readonly<Record<string, number>>;
  readonly byVariant: Readonly<Record<string, number>>;
  /** Used labels whose agreement was measured, and how many of them agreed (≥ 0.5). */
  readonly measured: number;
  readonly agreeing: number;
}

export interface LabelSelection {
  readonly chosen: readonly ChosenLabel[];
  readonly counts: Readonly<Record<Provenance, ProvenanceCounts>>;
}

export interface SelectInput {
  readonly candidates: readonly LabelCandidate[];
  /** Every label a person gave or the data holds; they always win. */
  readonly human: readonly HumanLabel[];
  readonly audits?: readonly AuditVerdict[];
  /** The intents the model will have (a candidate naming another is dropped). */
  readonly intents: readonly string[];
  /** Labels meaning "none of our intents" in candidates (compared case-insensitively). */
  readonly outOfScopeLabels: readonly string[];
  /** The label out-of-scope machine labels are trained as. */
  readonly outOfScopeLabel: string;
}

/**
 * Applies the policy, in this order: provenance on/off; out-of-scope and unknown intents; human
 * labels (the same label: nothing to add; another: contradicted); audits; one label per text
 * (LLM before self, newest first; disagreeing answers of the preferred provenance: conflicting);
 * minimum confidence (self) and agreement; then the caps per intent and day, and per intent,
 * keeping the newest. Every candidate is either chosen or counted under one reason.
 *
 * @example
 * const { chosen, counts } = selectLabels(
 *   { candidates: [{ id: 'p1', at: '2025-01-01T00:00:00Z', text: 'card lost', label: 'lost_card', source: 'llm', llmModel: 'gpt' }],
 *     human: [], intents: ['lost_card'], outOfScopeLabels: ['none'], outOfScopeLabel: 'out_of_scope' },
 *   DEFAULT_LABEL_POLICY,
 * );
 * // chosen: [{ text: 'card lost', label: 'lost_card', source: 'llm', weight: 0.5, audited: false, llmModel: 'gpt' }]
 */
export function selectLabels(input: SelectInput, policy: LabelPolicy): LabelSelection {
  const drops: Record<Provenance, Partial<Record<DropReason, number>>> = { llm: {}, self: {} };
  const drop = (c: LabelCandidate, why: DropReason) => void (drops[c.source][why] = (drops[c.source][why] ?? 0) + 1);
  const by: Record<Provenance, Partial<Record<HumanSource, number>>> = { llm: {}, self: {} };
  const contradicted = (c: LabelCandidate, who: HumanSource) => {
    drop(c, 'contradicted');
    by[c.source][who] = (by[c.source][who] ?? 0) + 1;
  };
  const oos = new Set(input.outOfScopeLabels.map((l) => l.toLowerCase()));
  const intents = new Set(input.intents);
  const human = new Map<string, HumanLabel>();
  for (const h of input.human) human.set(nearKey(h.text), h);
  const verdicts = new Map<string, AuditVerdict[]>();
  for (const v of input.audits ?? []) {
    const k = nearKey(v.text);
    verdicts.set(k, [...(verdicts.get(k) ?? []), v]);
  }

  // 1. per candidate: provenance, label, people and audits
  const byText = new Map<string, { c: LabelCandidate; label: string; audited: boolean }[]>();
  for (const c of input.candidates) {
    const p = c.source === 'llm' ? policy.llm : policy.self;
    if (!p.enabled) {
      drop(c, 'disabled');
      continue;
    }
    const isOos = oos.has(c.label.toLowerCase());
    if (isOos && !policy.llm.outOfScope) {
      drop(c, 'out_of_scope');
      continue;
    }
    const label = isOos ? input.outOfScopeLabel : c.label;
    if (!isOos && !intents.has(label)) {
      drop(c, 'unknown_intent');
      continue;
    }
    const key = nearKey(c.text);
    const h = human.get(key);
    if (h) {
      if (h.label === label) drop(c, 'already_labelled');
      else contradicted(c, h.from);
      continue;
    }
    const vs = verdicts.get(key) ?? [];
    if (vs.some((v) => v.intent === c.label && !v.right)) {
      drop(c, 'audit_rejected');
      continue;
    }
    // an audit that found another intent right contradicts this one
    if (vs.some((v) => v.right && v.intent !== c.label)) {
      contradicted(c, 'audit');
      continue;
    }
    const audited = vs.some((v) => v.right && v.intent === c.label);
    const group = byText.get(key);
    if (group) group.push({ c, label, audited });
    else byText.set(key, [{ c, label, audited }]);
  }

  // 2. one label per text; then confidence and agreement
  const kept: { c: LabelCandidate; label: string; audited: boolean }[] = [];
  for (const group of byText.values()) {
    const best = group.some((g) => g.c.source === 'llm') ? 'llm' : 'self';
    const preferred = group.filter((g) => g.c.source === best).sort((a, b) => newestFirst(a.c, b.c));
    for (const g of group) if (g.c.source !== best) drop(g.c, 'duplicate');
    if (new Set(preferred.map((g) => g.label)).size > 1) {
      for (const g of preferred) drop(g.c, 'conflicting');
      continue;
    }
    preferred.slice(1).forEach((g) => drop(g.c, 'duplicate'));
    const g = preferred[0];
    const p = g.c.source === 'llm' ? policy.llm : policy.self;
    if (g.c.source === 'self' && !g.audited && !((g.c.confidence ?? 0) >= policy.self.minConfidence)) drop(g.c, 'low_confidence');
    else if (!g.audited && p.minAgreement > 0 && g.c.agreement !== undefined && g.c.agreement < p.minAgreement) drop(g.c, 'low_agreement');
    else kept.push(g);
  }

  // 3. caps, newest first: per intent and day, then per intent (audited labels are never capped)
  kept.sort((a, b) => newestFirst(a.c, b.c));
  const perDay = new Map<string, number>();
  const perIntent = new Map<string, number>();
  const chosen: ChosenLabel[] = [];
  const counted: LabelCandidate[] = [];
  for (const g of kept) {
    if (!g.audited) {
      const day = `${g.label}\u0000${g.c.at.slice(0, 10)}`;
      if (policy.maxPerIntentPerDay > 0 && (perDay.get(day) ?? 0) >= policy.maxPerIntentPerDay) {
        drop(g.c, 'day_cap');
        continue;
      }
      if (policy.maxPerIntent > 0 && (perIntent.get(g.label) ?? 0) >= policy.maxPerIntent) {
        drop(g.c, 'intent_cap');
        continue;
      }
      perDay.set(day, (perDay.get(day) ?? 0) + 1);
      perIntent.set(g.label, (perIntent.get(g.label) ?? 0) + 1);
    }
    const p = g.c.source === 'llm' ? policy.llm : policy.self;
    chosen.push({
      text: g.c.text,
      label: g.label,
      source: g.c.source,
      weight: g.audited ? 1 : p.weight,
      audited: g.audited,
      ...(g.c.llmModel !== undefined && { llmModel: g.c.llmModel }),
      ...(g.c.promptVariant !== undefined && { promptVariant: g.c.promptVariant }),
    });
    counted.push(g.c);
  }
  chosen.reverse(); // oldest first, as the data grew
  counted.reverse();

  const counts = {} as Record<Provenance, ProvenanceCounts>;
  for (const source of PROVENANCES) {
    const used = chosen.filter((l) => l.source === source);
    const usedCandidates = counted.filter((c) => c.source === source);
    const measured = usedCandidates.filter((c) => c.agreement !== undefined);
    counts[source] = {
      candidates: input.candidates.filter((c) => c.source === source).length,
      used: used.length,
      audited: used.filter((l) => l.audited).length,
      dropped: drops[source],
      contradictedBy: by[source],
      byModel: source === 'llm' ? tally(used.map((l) => l.llmModel ?? 'unknown')) : {},
      byVariant: source === 'llm' ? tally(used.map((l) => l.promptVariant ?? 'unknown')) : {},
      measured: measured.length,
      agreeing: measured.filter((c) => c.agreement! >= 0.5).length,
    };
  }
  return { chosen, counts };
}

function newestFirst(a: LabelCandidate, b: LabelCandidate): number {
  return a.at < b.at ? 1 : a.at > b.at ? -1 : a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

function tally(keys: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of keys) out[k] = (out[k] ?? 0) + 1;
  return out;
}

/** What a retrain run learnt from machine labels: its record in the run, the result and the gate report. */
export interface LabelReport {
  /** Start of the window the candidates were read from (ISO-8601); null when no prediction log was read. */
  readonly since: string | null;
  /** Prediction records read (the answers clients got; shadow records are skipped). */
  readonly records: number;
  /** LLM or accepted answers without a stored text (events.storeTexts was off): not usable. */
  readonly withoutText: number;
  /** Candidates left out because more than the maximum were found (the oldest). */
  readonly truncated: number;
  readonly llm: ProvenanceCounts;
  readonly self: ProvenanceCounts;
  readonly policy: LabelPolicy;
}
