import { describe, expect, it } from 'vitest';
import { tallyOutcomes, type FeedbackOutcome } from './outcomes.js';

const m = (version: string, name = 'tickets') => ({ name, version });

describe('labelled outcomes per version', () => {
  it('counts review labels and feedback per arm, ignoring other models, versions and neutral ratings', () => {
    const t = tallyOutcomes({
      name: 'tickets',
      champion: '1',
      challenger: '2',
      reviews: [
        { model: m('1'), guess: 'a', label: 'a' },
        { model: m('1'), guess: 'a', label: 'b' },
        { model: m('2'), guess: 'b', label: 'b' },
        { model: m('3'), guess: 'b', label: 'b' },
        { model: m('1', 'other'), guess: 'b', label: 'b' },
      ],
      feedback: [
        { answered: { model: m('1'), intent: 'a' }, correctIntent: 'a' },
        { answered: { model: m('2'), intent: 'a' }, correctIntent: 'b' },
        { answered: { model: m('2'), intent: 'a' }, rating: 1 },
        { answered: { model: m('2'), intent: 'a' }, rating: -1 },
        { answered: { model: m('2'), intent: 'a' }, rating: 0 },
        { answered: { model: m('9'), intent: 'a' }, rating: 1 },
      ],
    });
    expect(t.bySource.review).toEqual({ champion: { n: 2, correct: 1 }, challenger: { n: 1, correct: 1 } });
    expect(t.bySource.feedback).toEqual({ champion: { n: 1, correct: 1 }, challenger: { n: 3, correct: 1 } });
    expect(t.champion).toEqual({ n: 3, correct: 2 });
    expect(t.challenger).toEqual({ n: 4, correct: 2 });
    expect(t.paired.n).toBe(0);
  });

  it('pairs champion answers with their shadow score when the right intent is known', () => {
    const pair = (answer: string, shadow: string, f: Partial<FeedbackOutcome>): FeedbackOutcome => ({ answered: { model: m('1'), intent: answer }, shadow: { model: m('2'), intent: shadow }, ...f });
    const t = tallyOutcomes({
      name: 'tickets',
      champion: '1',
      challenger: '2',
      reviews: [],
      feedback: [
        pair('a', 'b', { correctIntent: 'b' }), // only the challenger right
        pair('a', 'b', { correctIntent: 'a' }), // only the champion right
        pair('a', 'a', { rating: 1 }), // both right
        pair('a', 'b', { correctIntent: 'c' }), // both wrong
        pair('a', 'b', { rating: -1 }), // truth unknown: counted for the champion, not paired
      ],
    });
    expect(t.paired).toEqual({ n: 4, challengerOnly: 1, championOnly: 1 });
    expect(t.champion).toEqual({ n: 5, correct: 2 });
    expect(t.challenger).toEqual({ n: 0, correct: 0 });
  });
});
