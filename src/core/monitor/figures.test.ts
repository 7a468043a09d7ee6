import { describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLDS, Cooldown, evaluateAlerts, minSamplesFor, type Thresholds } from './alerts.js';
import { computeFigures } from './figures.js';
import { confidenceHistogram } from './histogram.js';
import { buildProfile } from './profile.js';
import { Tally } from './window.js';

const unit = (...xs: number[]) => {
  const n = Math.hypot(...xs);
  return Float32Array.from(xs, (x) => x / n);
};

/** Two labels, 50/50 in training; the policy accepted 80 % of held-out messages. */
function profile(heldOut?: number[]) {
  const examples = [...Array(50).fill({ text: 'card arrived late', label: 'a' }), ...Array(50).fill({ text: 'reset password now', label: 'b' })];
  return buildProfile({
    labels: ['a', 'b'],
    examples,
    coverage: 0.8,
    heldOutConfidence: heldOut ? { edges: [0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98, 0.99], counts: heldOut } : undefined,
    embedded: { vectors: [unit(1, 0.1), unit(1, -0.1), unit(0.1, 1), unit(-0.1, 1)], labels: [0, 0, 1, 1] },
  });
}

/** `n` messages: share `aShare` predicted a, confidence c, accepted share `acc`, with features. */
function traffic(n: number, o: { aShare?: number; conf?: number; acc?: number; oov?: number; dist?: number } = {}): Tally {
  const t = new Tally(2);
  for (let i = 0; i < n; i++) {
    const label = i < n * (o.aShare ?? 0.5) ? 0 : 1;
    t.count(label, o.conf ?? 0.97, i < n * (o.acc ?? 0.8) ? 'accepted' : 'review', 0.001);
    t.features(o.oov ?? 0, o.dist ?? 0.005, 0.01);
  }
  return t;
}

const at = { since: Date.UTC(2025, 0, 1), until: Date.UTC(2025, 0, 1, 1) };
const kinds = (t: Tally, p = profile(confidenceHistogram(Array(100).fill(0.97))), th: Thresholds = DEFAULT_THRESHOLDS, min = 200) =>
  evaluateAlerts(computeFigures(p, t, at), th, min).map((a) => `${a.kind}:${a.severity}`);

describe('computeFigures', () => {
  it('reports every figure of a window against the profile', () => {
    const f = computeFigures(profile(), traffic(400, { aShare: 0.75, acc: 0.6, oov: 0.5, dist: 0.02 }), at);
    expect(f.window).toEqual({ since: '2025-01-01T00:00:00.000Z', until: '2025-01-01T01:00:00.000Z', samples: 400, sampled: 400 });
    expect(f.labels!.psi).toBeGreaterThan(0.1);
    expect(f.labels!.shifts[0]).toEqual({ label: 'a', expected: 0.5, observed: 0.75 });
    expect(f.labels!.chi2.df).toBe(1);
    expect(f.routes).toEqual({ accepted: 0.6, llm: 0, review: 0.4, fallbackShare: 0.4, expectedFallbackShare: expect.closeTo(0.2, 12) });
    expect(f.oov).toEqual({ share: 0.5, expected: 0, samples: 400 });
    expect(f.centroid!.ratio).toBeCloseTo(0.02 / f.centroid!.referenceMean, 9);
    expect(f.centroid!.beyondP95Share).toBe(1);
    expect(f.llm.costUsd).toBeCloseTo(0.4, 9);
    // no held-out histogram and no baseline yet: no confidence figure
    expect(f.confidence).toBeNull();
    expect(computeFigures(profile(), traffic(400), { ...at, baseline: confidenceHistogram([0.5, 0.97]) }).confidence!.reference).toBe('live-baseline');
  });

  it('an empty window has no figures but the window and cost', () => {
    const f = computeFigures(profile(), new Tally(2), at);
    expect([f.labels, f.confidence, f.routes, f.oov, f.centroid]).toEqual([null, null, null, null, null]);
  });
});

describe('evaluateAlerts', () => {
  it('traffic like the reference raises nothing', () => {
    expect(kinds(traffic(1000))).toEqual([]);
  });

  it('each kind of drift raises its own alert, at warn or alert severity', () => {
    expect(kinds(traffic(1000, { aShare: 0.9 }))).toEqual(['label_psi:alert', 'label_chi2:warn']);
    expect(kinds(traffic(1000, { conf: 0.55 }))).toEqual(['confidence_psi:alert']);
    expect(kinds(traffic(1000, { acc: 0.65 }))).toEqual(['fallback_share:warn']);
    expect(kinds(traffic(1000, { acc: 0.5 }))).toEqual(['fallback_share:alert']);
    expect(kinds(traffic(1000, { oov: 0.1 }))).toEqual(['oov_share:warn']);
    expect(kinds(traffic(1000, { oov: 0.3 }))).toEqual(['oov_share:alert']);
    const ref = profile().distance!.mean;
    expect(kinds(traffic(1000, { dist: ref * 1.2 }))).toEqual(['centroid_distance:warn']);
    expect(kinds(traffic(1000, { dist: ref * 2 }))).toEqual(['centroid_distance:alert']);
  });

  it('an alert carries its value, threshold, window and a message', () => {
    const [a] = evaluateAlerts(computeFigures(profile(), traffic(1000, { acc: 0.5 }), at), DEFAULT_THRESHOLDS, 200);
    expect(a).toMatchObject({ kind: 'fallback_share', severity: 'alert', value: 0.5, window: { since: '2025-01-01T00:00:00.000Z', samples: 1000 } });
    expect(a.threshold).toBeCloseTo(0.4, 12);
    expect(a.message).toMatch(/50\.0 % of messages went to the LLM or review, above 40\.0 % \(expected 20\.0 %\)/);
  });

  it('rules stay silent below the minimum sample size', () => {
    expect(kinds(traffic(150, { acc: 0.2, oov: 0.9, aShare: 1 }))).toEqual([]);
    expect(kinds(traffic(150, { acc: 0.2 }), undefined, undefined, 100)).toEqual(['fallback_share:alert']);
  });

  it('PSI over many bins waits for ten messages per degree of freedom', () => {
    expect(minSamplesFor(77, 200)).toBe(760);
    expect(minSamplesFor(2, 200)).toBe(200);
  });

  it('thresholds are configurable; a chi-square threshold of 0 turns that rule off', () => {
    const t = { ...DEFAULT_THRESHOLDS, labelChi2P: 0, labelPsi: { warn: 5, alert: 6 } };
    expect(kinds(traffic(1000, { aShare: 0.9 }), undefined, t)).toEqual([]);
  });
});

describe('Cooldown', () => {
  it('lets an alert through once per cooldown, per kind and severity', () => {
    const c = new Cooldown(60_000);
    const a = { kind: 'oov_share' as const, severity: 'warn' as const };
    expect(c.admit(a, 0)).toBe(true);
    expect(c.admit(a, 59_999)).toBe(false);
    expect(c.admit({ ...a, severity: 'alert' }, 1000)).toBe(true);
    expect(c.admit({ ...a, kind: 'label_psi' }, 1000)).toBe(true);
    expect(c.admit(a, 60_000)).toBe(true);
  });
});
