import { describe, expect, it } from 'vitest';
import { checkSuggestedName } from './naming.js';

describe('checkSuggestedName', () => {
  const existing = ['card_lost', 'Balance', 'top_up'];

  it('accepts a snake_case name of 1–6 words, forgiving quotes, capitals and spaces or hyphens', () => {
    expect(checkSuggestedName('loyalty_points', existing)).toEqual({ ok: true, name: 'loyalty_points' });
    expect(checkSuggestedName('  "Loyalty Points"  ', existing)).toEqual({ ok: true, name: 'loyalty_points' });
    expect(checkSuggestedName('gift-wrapping', existing)).toEqual({ ok: true, name: 'gift_wrapping' });
    expect(checkSuggestedName('refund_not_received_2', existing)).toEqual({ ok: true, name: 'refund_not_received_2' });
  });

  it('refuses punctuation, non-ASCII letters, digits first, too many words or characters', () => {
    for (const bad of ['gift wrapping, please!', 'café_points', '2fa_setup', 'a_b_c_d_e_f_g', `x${'y'.repeat(64)}`, '', 'loyalty__points', '{"name": "x"}']) {
      const r = checkSuggestedName(bad, existing);
      expect(r.ok, bad).toBe(false);
      if (!r.ok) expect(r.why).toMatch(/not a snake_case name/);
    }
  });

  it("refuses a name the model has (case-insensitively), a reserved one, or one given to another cluster", () => {
    expect(checkSuggestedName('card_lost', existing)).toEqual({ ok: false, why: `"card_lost" is already one of the model's intents` });
    expect(checkSuggestedName('balance', existing)).toMatchObject({ ok: false, why: expect.stringMatching(/already one of the model's intents/) });
    expect(checkSuggestedName('out_of_scope', existing)).toEqual({ ok: false, why: '"out_of_scope" is reserved' });
    expect(checkSuggestedName('None', existing)).toEqual({ ok: false, why: '"none" is reserved' });
    expect(checkSuggestedName('gift_wrapping', existing, ['gift_wrapping'])).toEqual({ ok: false, why: '"gift_wrapping" was already suggested for another cluster' });
  });
});
