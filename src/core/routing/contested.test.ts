import { describe, expect, it } from 'vitest';
import { ContestedIntents } from './contested.js';
import { decide } from './policy.js';

describe('ContestedIntents', () => {
  it('contests an intent after minUnknown unknown answers at minShare of the remembered ones, and clears it as known answers push them out', () => {
    const c = new ContestedIntents({ window: 10, minUnknown: 3, minShare: 0.25 });
    expect(c.record('refund', true)).toBeNull();
    expect(c.record('refund', false)).toBeNull();
    expect(c.record('refund', true)).toBeNull();
    expect(c.has('refund')).toBe(false);
    expect(c.record('refund', true)).toBe('contested'); // 3 of 4
    expect(c.has('refund')).toBe(true);
    expect(c.intents).toEqual(['refund']);
    expect(c.evidence('refund')).toEqual({ unknown: 3, answers: 4 });
    // another intent's answers are its own
    expect(c.has('delivery')).toBe(false);
    for (let i = 0; i < 5; i++) c.record('delivery', false);
    expect(c.has('refund')).toBe(true);
    // known answers: 3 unknown of 10 is still ≥ 25 %; then the unknown ones leave the window
    for (let i = 0; i < 6; i++) expect(c.record('refund', false)).toBeNull();
    expect(c.evidence('refund')).toEqual({ unknown: 3, answers: 10 });
    expect(c.record('refund', false)).toBe('cleared'); // the first unknown answer left the window: 2 of 10
    expect(c.has('refund')).toBe(false);
    expect(c.intents).toEqual([]);
  });

  it('needs the share as well as the count: 3 unknown answers among 20 is not enough at 0.2', () => {
    const c = new ContestedIntents({ window: 20, minUnknown: 3, minShare: 0.2 });
    for (let i = 0; i < 17; i++) c.record('card', false);
    for (let i = 0; i < 3; i++) c.record('card', true);
    expect(c.has('card')).toBe(false);
    expect(c.record('card', true)).toBe('contested'); // 4 of 20
  });

  it('refuses settings that cannot work', () => {
    expect(() => new ContestedIntents({ window: 0 })).toThrow(/window/);
    expect(() => new ContestedIntents({ window: 5, minUnknown: 6 })).toThrow(/minUnknown/);
    expect(() => new ContestedIntents({ minShare: 1.5 })).toThrow(/minShare/);
  });
});

describe('decide with contested intents', () => {
  const policy = { minConfidence: 0.8, minMargin: 0, requireKnnAgreement: false };
  const sure = [0.05, 0.9, 0.05];
  it('sends a contested intent\'s confident message to the LLM, and only while one is available', () => {
    expect(decide(sure, null, policy, true)).toMatchObject({ route: 'accepted', reason: 'confident', label: 1 });
    expect(decide(sure, null, policy, true, undefined, (l) => l === 1)).toMatchObject({ route: 'llm', reason: 'contested', label: 1 });
    expect(decide(sure, null, policy, true, undefined, (l) => l === 2)).toMatchObject({ route: 'accepted', reason: 'confident' });
    // without an LLM there is nobody better to ask: answered as before
    expect(decide(sure, null, policy, false, undefined, () => true)).toMatchObject({ route: 'accepted', reason: 'confident' });
    // an unsure message keeps its own reason
    expect(decide([0.4, 0.35, 0.25], null, policy, true, undefined, () => true)).toMatchObject({ route: 'llm', reason: 'low_confidence' });
  });
});
