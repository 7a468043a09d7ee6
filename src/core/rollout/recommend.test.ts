import { describe, expect, it } from 'vitest';
import { abDecision } from './recommend.js';

describe('A/B recommendation', () => {
  it('promotes a significantly better challenger, with the numbers behind it', () => {
    const r = abDecision({ champion: { n: 400, correct: 352 }, challenger: { n: 400, correct: 376 } });
    expect(r.recommendation).toBe('promote');
    expect(r.basis).toBe('unpaired');
    expect(r.unpaired).toMatchObject({ test: 'two-proportion z' });
    expect(r.unpaired!.pValue).toBeCloseTo(0.003026856189129397, 6);
    expect(r.difference).toBeCloseTo(0.06, 10);
    expect(r.champion.accuracy).toBeCloseTo(0.88, 10);
    expect(r.reason).toMatch(/champion 88\.0 %, challenger 94\.0 %, \+6\.0 pts, p = 0\.0030/);
  });

  it('keeps a significantly worse challenger out', () => {
    const r = abDecision({ champion: { n: 400, correct: 376 }, challenger: { n: 400, correct: 352 } });
    expect(r.recommendation).toBe('keep champion');
    expect(r.reason).toMatch(/significantly less accurate/);
  });

  it('needs more data below the minimum sample, saying how much', () => {
    const r = abDecision({ champion: { n: 60, correct: 50 }, challenger: { n: 20, correct: 20 } });
    expect(r.recommendation).toBe('need more data');
    expect(r.basis).toBeNull();
    expect(r.reason).toMatch(/at least 100 labelled outcomes per version .* 120 more/);
    // the tests still run and are reported; Fisher's test because expected wrong answers are < 5
    expect(r.unpaired!.test).toBe('fisher exact');
  });

  it('no significant difference: need more data until the sample could detect minEffect, then keep the champion', () => {
    const few = abDecision({ champion: { n: 200, correct: 180 }, challenger: { n: 200, correct: 182 } });
    expect(few.recommendation).toBe('need more data');
    expect(few.requiredPerArm).toBe(3213);
    expect(few.reason).toMatch(/needs 3213 outcomes per arm \(have 200\)/);
    const many = abDecision({ champion: { n: 4000, correct: 3600 }, challenger: { n: 4000, correct: 3610 } });
    expect(many.recommendation).toBe('keep champion');
    expect(many.reason).toMatch(/no significant difference with enough data/);
  });

  it('uses McNemar on paired outcomes once there are enough pairs', () => {
    const r = abDecision({ champion: { n: 10, correct: 9 }, challenger: { n: 10, correct: 9 }, paired: { n: 150, challengerOnly: 30, championOnly: 12 } });
    expect(r.basis).toBe('paired');
    // scipy: chi2.sf((|30 - 12| - 1)^2 / 42, 1)
    expect(r.paired!.pValue).toBeCloseTo(0.008711912962379598, 6);
    expect(r.recommendation).toBe('promote');
    expect(r.reason).toMatch(/McNemar on 150 paired messages/);
  });

  it('rejects an impossible rule or paired counts', () => {
    expect(() => abDecision({ champion: { n: 1, correct: 1 }, challenger: { n: 1, correct: 1 }, rule: { alpha: 0 } })).toThrow(/alpha/);
    expect(() => abDecision({ champion: { n: 1, correct: 1 }, challenger: { n: 1, correct: 1 }, paired: { n: 3, challengerOnly: 2, championOnly: 2 } })).toThrow(/discordant/);
  });
});
