import type { ArmOutcomes, PairedOutcomes } from './recommend.js';

type Id = { readonly name: string; readonly version: string };

/** A review item a human labelled: the model's guess against the label. */
export interface ReviewOutcome {
  readonly model: Id;
  readonly guess: string;
  readonly label: string;
}

/** Feedback on a served prediction, joined with the prediction log (and its shadow score, if any). */
export interface FeedbackOutcome {
  readonly answered: { readonly model: Id; readonly intent: string };
  readonly shadow?: { readonly model: Id; readonly intent: string };
  readonly correctIntent?: string;
  readonly rating?: -1 | 0 | 1;
}

export interface OutcomeTally {
  readonly champion: ArmOutcomes;
  readonly challenger: ArmOutcomes;
  readonly paired: PairedOutcomes;
  /** The same, per source. */
  readonly bySource: { readonly review: { readonly champion: ArmOutcomes; readonly challenger: ArmOutcomes }; readonly feedback: { readonly champion: ArmOutcomes; readonly challenger: ArmOutcomes } };
}

const zero = () => ({ n: 0, correct: 0 });

/**
 * Counts labelled outcomes per version of model `name`. A review item is right when the guess
 * equals the human label. Feedback is right when the answer equals `correctIntent`, or without
 * one when rated 1 (wrong when rated -1; a 0 rating says nothing). A message the champion
 * answered and the challenger shadow-scored, whose right intent is known (`correctIntent`, or a
 * rating of 1), is also a pair for McNemar's test. Outcomes of other models or versions are ignored.
 */
export function tallyOutcomes(o: { name: string; champion: string; challenger: string; reviews: Iterable<ReviewOutcome>; feedback: Iterable<FeedbackOutcome> }): OutcomeTally {
  const src = { review: { champion: zero(), challenger: zero() }, feedback: { champion: zero(), challenger: zero() } };
  const paired = { n: 0, challengerOnly: 0, championOnly: 0 };
  const arm = (m: Id) => (m.name !== o.name ? undefined : m.version === o.champion ? 'champion' : m.version === o.challenger ? 'challenger' : undefined);
  for (const r of o.reviews) {
    const a = arm(r.model);
    if (!a) continue;
    src.review[a].n++;
    if (r.guess === r.label) src.review[a].correct++;
  }
  for (const f of o.feedback) {
    const a = arm(f.answered.model);
    if (!a) continue;
    const correct = f.correctIntent !== undefined ? f.answered.intent === f.correctIntent : f.rating === 1 ? true : f.rating === -1 ? false : undefined;
    if (correct === undefined) continue;
    src.feedback[a].n++;
    if (correct) src.feedback[a].correct++;
    const truth = f.correctIntent ?? (f.rating === 1 ? f.answered.intent : undefined);
    if (a === 'champion' && f.shadow && truth !== undefined && arm(f.shadow.model) === 'challenger') {
      const b = f.shadow.intent === truth;
      paired.n++;
      if (!correct && b) paired.challengerOnly++;
      if (correct && !b) paired.championOnly++;
    }
  }
  const sum = (x: ArmOutcomes, y: ArmOutcomes) => ({ n: x.n + y.n, correct: x.correct + y.correct });
  return { champion: sum(src.review.champion, src.feedback.champion), challenger: sum(src.review.challenger, src.feedback.challenger), paired, bySource: src };
}
