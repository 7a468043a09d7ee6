import { describe, expect, it } from 'vitest';
import { DEFAULT_LABEL_POLICY, selectLabels, type LabelCandidate, type LabelPolicy, type SelectInput } from './policy.js';

const day = (d: number, h = 0) => new Date(Date.UTC(2025, 0, d, h)).toISOString();
let n = 0;
const llm = (text: string, label: string, at = day(1), extra: Partial<LabelCandidate> = {}): LabelCandidate => ({ id: `p${++n}`, at, text, label, source: 'llm', llmModel: 'gpt-x', ...extra });
const self = (text: string, label: string, confidence: number, at = day(1)): LabelCandidate => ({ id: `p${++n}`, at, text, label, source: 'self', confidence });
const input = (candidates: LabelCandidate[], rest: Partial<SelectInput> = {}): SelectInput => ({
  candidates,
  human: [],
  intents: ['lost_card', 'refund', 'top_up'],
  outOfScopeLabels: ['none', 'oos'],
  outOfScopeLabel: 'out_of_scope',
  ...rest,
});
const policy = (p: Partial<LabelPolicy> = {}): LabelPolicy => ({ ...DEFAULT_LABEL_POLICY, maxPerIntent: 0, maxPerIntentPerDay: 0, ...p });

describe('selectLabels', () => {
  it('weights LLM and self-training labels below a person, with their provenance', () => {
    const r = selectLabels(input([llm('I lost my card', 'lost_card', day(1), { promptVariant: 'v2' }), self('where is my refund', 'refund', 0.97)]), policy());
    expect(r.chosen).toEqual([
      { text: 'I lost my card', label: 'lost_card', source: 'llm', weight: 0.5, audited: false, llmModel: 'gpt-x', promptVariant: 'v2' },
      { text: 'where is my refund', label: 'refund', source: 'self', weight: 0.3, audited: false },
    ]);
    expect(r.counts.llm).toMatchObject({ candidates: 1, used: 1, byModel: { 'gpt-x': 1 }, byVariant: { v2: 1 }, dropped: {} });
    expect(r.counts.self).toMatchObject({ candidates: 1, used: 1, dropped: {} });
  });

  it('drops labels a review, a feedback correction, the data or an audit contradicts: people always win', () => {
    const r = selectLabels(
      input(
        [
          llm('My card is gone!', 'lost_card'), // review says refund
          llm('money back please', 'refund'), // feedback agrees: nothing to add
          self('add money', 'refund', 0.99), // the data says top_up
          llm('top up failed', 'top_up'), // an audit judged top_up wrong
          llm('card stolen', 'refund'), // an audit judged lost_card right: refund is contradicted
          llm('card stolen yesterday', 'lost_card'), // an audit confirmed it: weight 1
        ],
        {
          human: [
            { text: 'my card is gone', label: 'refund', from: 'review' },
            { text: 'Money back, please.', label: 'refund', from: 'feedback' },
            { text: 'add money', label: 'top_up', from: 'data' },
          ],
          audits: [
            { text: 'top up failed', intent: 'top_up', right: false },
            { text: 'card stolen', intent: 'lost_card', right: true },
            { text: 'card stolen yesterday', intent: 'lost_card', right: true },
          ],
        },
      ),
      policy(),
    );
    expect(r.chosen).toEqual([{ text: 'card stolen yesterday', label: 'lost_card', source: 'llm', weight: 1, audited: true, llmModel: 'gpt-x' }]);
    expect(r.counts.llm.dropped).toEqual({ contradicted: 2, already_labelled: 1, audit_rejected: 1 });
    expect(r.counts.llm.contradictedBy).toEqual({ review: 1, audit: 1 });
    expect(r.counts.self.dropped).toEqual({ contradicted: 1 });
    expect(r.counts.self.contradictedBy).toEqual({ data: 1 });
    expect(r.counts.llm.audited).toBe(1);
  });

  it('keeps one label per normalised text: the LLM before self-training, the newest answer; drops disagreeing answers', () => {
    const r = selectLabels(
      input([
        llm('Refund status?', 'refund', day(1)),
        llm('refund status', 'refund', day(3)),
        self('REFUND status', 'refund', 0.99, day(4)),
        llm('card or refund', 'refund', day(1)),
        llm('Card or refund?', 'lost_card', day(2)),
      ]),
      policy(),
    );
    expect(r.chosen.map((c) => [c.text, c.label])).toEqual([['refund status', 'refund']]);
    expect(r.counts.llm.dropped).toEqual({ duplicate: 1, conflicting: 2 });
    expect(r.counts.self.dropped).toEqual({ duplicate: 1 });
  });

  it('learns self-training labels only at or above the minimum confidence', () => {
    const r = selectLabels(input([self('a', 'refund', 0.95), self('b', 'refund', 0.9), self('c', 'refund', 0.89)]), policy({ self: { ...DEFAULT_LABEL_POLICY.self, minConfidence: 0.9 } }));
    expect(r.chosen.map((c) => c.text)).toEqual(['a', 'b']);
    expect(r.counts.self.dropped).toEqual({ low_confidence: 1 });
  });

  it('caps labels per intent and per intent and day, keeping the newest', () => {
    const cands = [
      ...[1, 2, 3, 4].map((h) => llm(`lost ${h}`, 'lost_card', day(1, h))),
      ...[1, 2, 3].map((h) => llm(`lost on day 2 ${h}`, 'lost_card', day(2, h))),
      llm('refund 1', 'refund', day(1)),
    ];
    const r = selectLabels(input(cands), policy({ maxPerIntentPerDay: 2, maxPerIntent: 3 }));
    // day 2: the two newest; day 1: the newest, then the intent cap is reached
    expect(r.chosen.map((c) => c.text)).toEqual(['refund 1', 'lost 4', 'lost on day 2 2', 'lost on day 2 3']);
    expect(r.counts.llm.dropped).toEqual({ day_cap: 1, intent_cap: 3 });
    expect(r.counts.llm.used).toBe(4);
  });

  it('turns the LLM\'s out-of-scope answers into out-of-scope examples only when the policy says so; unknown intents never', () => {
    const cands = [llm('what is the weather', 'none'), llm('gift cards?', 'gift_card')];
    const off = selectLabels(input(cands), policy());
    expect(off.chosen).toEqual([]);
    expect(off.counts.llm.dropped).toEqual({ out_of_scope: 1, unknown_intent: 1 });
    const on = selectLabels(input(cands), policy({ llm: { ...DEFAULT_LABEL_POLICY.llm, outOfScope: true } }));
    expect(on.chosen.map((c) => c.label)).toEqual(['out_of_scope']);
  });

  it('switches a provenance off, and filters on agreement with the nearest labelled examples when asked', () => {
    const cands = [llm('x1', 'refund', day(1), { agreement: 0.1 }), llm('x2', 'refund', day(1), { agreement: 0.8 }), llm('x3', 'refund'), self('y', 'refund', 0.99)];
    const r = selectLabels(input(cands), policy({ llm: { ...DEFAULT_LABEL_POLICY.llm, minAgreement: 0.5 }, self: { ...DEFAULT_LABEL_POLICY.self, enabled: false } }));
    expect(r.chosen.map((c) => c.text).sort()).toEqual(['x2', 'x3']);
    expect(r.counts.llm).toMatchObject({ dropped: { low_agreement: 1 }, measured: 1, agreeing: 1 });
    expect(r.counts.self.dropped).toEqual({ disabled: 1 });
  });

  it('accounts for every candidate: used or dropped for one reason', () => {
    const cands = Array.from({ length: 60 }, (_, i) => (i % 3 ? llm(`m ${i % 20}`, ['refund', 'top_up', 'none', 'other'][i % 4], day(1 + (i % 5))) : self(`m ${i % 7}`, 'refund', i / 60)));
    const r = selectLabels(input(cands, { human: [{ text: 'm 1', label: 'refund', from: 'review' }] }), policy({ maxPerIntent: 4, maxPerIntentPerDay: 2 }));
    for (const s of ['llm', 'self'] as const) {
      const c = r.counts[s];
      expect(c.used + Object.values(c.dropped).reduce((a, b) => a + b!, 0)).toBe(c.candidates);
    }
  });
});
