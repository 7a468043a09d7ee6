import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../dataset/prng.js';
import { chooseArm, stickyPoint } from './assign.js';

describe('sticky assignment', () => {
  it('puts the same key at the same point, in [0, 1), different per model', () => {
    const a = stickyPoint('tickets', 'client-42');
    expect(stickyPoint('tickets', 'client-42')).toBe(a);
    expect(a).toBeGreaterThanOrEqual(0);
    expect(a).toBeLessThan(1);
    expect(stickyPoint('other', 'client-42')).not.toBe(a);
    // the separator keeps ("ab", "c") and ("a", "bc") apart
    expect(stickyPoint('ab', 'c')).not.toBe(stickyPoint('a', 'bc'));
  });

  it('pins the hash: sha256 bits, not an implementation accident (replicas and restarts agree)', () => {
    // first 52 bits of sha256("tickets\0client-42"), over 2^52, computed independently
    const hex = createHash('sha256').update('tickets\0client-42').digest('hex');
    expect(stickyPoint('tickets', 'client-42')).toBe(parseInt(hex.slice(0, 13), 16) / 2 ** 52);
  });

  it('sends about `share` of distinct keys to the challenger, and keeps them there as the share grows', () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => `user-${i}`);
    const arm = (k: string, share: number) => chooseArm({ mode: 'canary', share, model: 'tickets', hasChallenger: true, subject: k, random: () => 0 });
    for (const share of [0.01, 0.05, 0.2, 0.5]) {
      const got = keys.filter((k) => arm(k, share) === 'challenger').length / keys.length;
      // binomial sd at n = 20,000 is at most 0.0035; 4 sd
      expect(Math.abs(got - share)).toBeLessThan(0.014);
    }
    const at5 = keys.filter((k) => arm(k, 0.05) === 'challenger');
    expect(at5.every((k) => arm(k, 0.2) === 'challenger')).toBe(true);
  });

  it('draws at random per request without a client key', () => {
    const random = mulberry32(3);
    const arms = Array.from({ length: 10_000 }, () => chooseArm({ mode: 'ab', share: 0.5, model: 'tickets', hasChallenger: true, random }));
    const share = arms.filter((a) => a === 'challenger').length / arms.length;
    expect(Math.abs(share - 0.5)).toBeLessThan(0.02);
  });

  it('answers with the champion in off and shadow, without a challenger, and at share 0; share 1 sends all', () => {
    const base = { model: 'm', subject: 'k', random: () => 0 };
    expect(chooseArm({ ...base, mode: 'off', share: 1, hasChallenger: true })).toBe('champion');
    expect(chooseArm({ ...base, mode: 'shadow', share: 1, hasChallenger: true })).toBe('champion');
    expect(chooseArm({ ...base, mode: 'canary', share: 1, hasChallenger: false })).toBe('champion');
    expect(chooseArm({ ...base, mode: 'canary', share: 0, hasChallenger: true })).toBe('champion');
    expect(chooseArm({ ...base, mode: 'canary', share: 1, hasChallenger: true })).toBe('challenger');
  });
});
