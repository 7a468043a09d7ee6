import { describe, expect, it } from 'vitest';
import { auroc, estimateUnknownShare, fitNovelty, NEVER, noveltyScore, rowForShare, type NoveltySample } from './novelty.js';

/** Seeded samples: in-scope messages confident and near their neighbours, unknown ones less so. */
function samples(nKnown: number, nUnknown: number, seed = 3, neighbourHelps = true): NoveltySample[] {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const sig = (x: number) => 1 / (1 + Math.exp(-x));
  const out: NoveltySample[] = [];
  for (let i = 0; i < nKnown; i++) {
    const z = gauss();
    const confidence = sig(2.5 + 1.5 * z);
    out.push({ confidence, neighbour: neighbourHelps ? 0.75 + 0.08 * gauss() : 0.5 + 0.1 * gauss(), unknown: false, correct: rand() < 0.5 + confidence / 2, passes: confidence > 0.8 });
  }
  for (let i = 0; i < nUnknown; i++) {
    const confidence = sig(0.5 + 1.5 * gauss());
    out.push({ confidence, neighbour: neighbourHelps ? 0.55 + 0.08 * gauss() : 0.5 + 0.1 * gauss(), unknown: true, passes: confidence > 0.8 });
  }
  return out;
}

describe('novelty', () => {
  it('auroc: 1 for perfect separation, 0.5 for none, mid-ranks for ties', () => {
    expect(auroc([3, 4, 5], [0, 1, 2])).toBe(1);
    expect(auroc([0, 1], [0, 1])).toBe(0.5);
    expect(auroc([1], [1])).toBe(0.5);
  });

  it('uses the neighbour feature only where it separates better', () => {
    const withNb = fitNovelty(samples(2000, 1000), { targetPrecision: 0.97 })!;
    expect(withNb.features).toEqual(['confidence', 'neighbour']);
    const without = fitNovelty(samples(2000, 1000, 5, false), { targetPrecision: 0.97 })!;
    expect(without.features).toEqual(['confidence']);
    expect(withNb.auroc).toBeGreaterThan(without.auroc);
    // in-scope messages score higher
    expect(noveltyScore(withNb, 0.99, 0.8)).toBeGreaterThan(noveltyScore(withNb, 0.6, 0.5));
  });

  it('flags more as the assumed unknown share grows, and never flags at share 0', () => {
    const p = fitNovelty(samples(3000, 1500), { targetPrecision: 0.97 })!;
    expect(rowForShare(p, 0).open).toBe(-NEVER);
    const opens = p.table.map((r) => r.open);
    for (let i = 1; i < opens.length; i++) expect(opens[i]).toBeGreaterThanOrEqual(opens[i - 1]);
    expect(rowForShare(p, 0.5).open).toBeGreaterThan(rowForShare(p, 0.1).open);
    for (const r of p.table) expect(r.accept).toBeGreaterThanOrEqual(r.open);
    // the nearest listed share at or above the asked one
    expect(rowForShare(p, 0.12).share).toBe(0.15);
  });

  it('estimates the unknown share of a batch from its scores alone', () => {
    const p = fitNovelty(samples(4000, 4000, 9), { targetPrecision: 0.97 })!;
    for (const share of [0.1, 0.5, 0.8]) {
      const batch = samples(Math.round(3000 * (1 - share)), Math.round(3000 * share), 21);
      const est = estimateUnknownShare(p, batch.map((b) => noveltyScore(p, b.confidence, b.neighbour)));
      expect(Math.abs(est - share)).toBeLessThan(0.08);
    }
    expect(estimateUnknownShare(p, [], 0.2)).toBe(0.2);
  });

  it('returns null when one side is missing', () => {
    expect(fitNovelty(samples(100, 0), { targetPrecision: 0.97 })).toBeNull();
  });
});

describe('novelty: the unknown-pass bound counts intents, not messages', () => {
  it('a guard fitted on unknowns that pass in clusters (near-twin intents) is at least as strict as one that counts them as independent', () => {
    const base = samples(3000, 1500, 11);
    // the unknown messages that pass, gathered in 3 of 30 intents; the rest spread evenly
    let u = 0;
    const clustered = base.map((s) => (s.unknown ? { ...s, intent: s.passes ? u++ % 3 : 3 + (u++ % 27), knownClasses: 20 } : s));
    const flat = fitNovelty(base, { targetPrecision: 0.97 })!;
    const byIntent = fitNovelty(clustered, { targetPrecision: 0.97, knownClasses: 20 })!;
    for (let i = 0; i < flat.table.length; i++) expect(byIntent.table[i].accept).toBeGreaterThanOrEqual(flat.table[i].accept);
    expect(byIntent.table.some((r, i) => r.accept > flat.table[i].accept)).toBe(true);
  });
});
