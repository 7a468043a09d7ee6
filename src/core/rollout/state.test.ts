import { describe, expect, it } from 'vitest';
import { IntentOpsError } from '../errors.js';
import { checkRolloutSetting } from './state.js';

describe('rollout settings', () => {
  it('fills in the default share for canary and ab, 0 for off and shadow', () => {
    expect(checkRolloutSetting('canary', undefined)).toEqual({ mode: 'canary', share: 0.05 });
    expect(checkRolloutSetting('ab', null)).toEqual({ mode: 'ab', share: 0.5 });
    expect(checkRolloutSetting('canary', 0.2)).toEqual({ mode: 'canary', share: 0.2 });
    expect(checkRolloutSetting('shadow', undefined)).toEqual({ mode: 'shadow', share: 0 });
    expect(checkRolloutSetting('off', 0)).toEqual({ mode: 'off', share: 0 });
  });

  it('refuses unknown modes, shares outside [0, 1] and shares that mean nothing, naming the field', () => {
    const fails = (mode: unknown, share: unknown) => {
      try {
        checkRolloutSetting(mode, share);
      } catch (e) {
        expect(e).toBeInstanceOf(IntentOpsError);
        return e as IntentOpsError;
      }
      throw new Error('accepted');
    };
    expect(fails('blue', undefined)).toMatchObject({ code: 'invalid_input', where: 'mode' });
    expect(fails('blue', undefined).hint).toMatch(/off, shadow, canary, ab/);
    expect(fails('canary', 1.5)).toMatchObject({ code: 'invalid_input', where: 'share' });
    expect(fails('canary', -0.1).where).toBe('share');
    expect(fails('ab', Number.NaN).where).toBe('share');
    expect(fails('ab', '0.5').where).toBe('share');
    expect(fails('shadow', 0.3).message).toMatch(/canary and ab only/);
  });
});
