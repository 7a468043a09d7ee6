import { describe, expect, it } from 'vitest';
import { auroc, estimateUnknownShare, fitNovelty, INTENT_LEVEL_FROM, NEVER, noveltyScore, rowForShare, type NoveltySample } from './novelty.js';

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

  it('closed traffic (an estimated share near 0) gets a guard for a fraction of a percent, not for 1 %', () => {
    const p = fitNovelty(samples(3000, 1500), { targetPrecision: 0.97 })!;
    expect(rowForShare(p, 1e-5).share).toBe(0.0025);
    expect(rowForShare(p, 0.004).share).toBe(0.005);
    // the accept guard loosens as the share falls: the 0.25 % row accepts at least what the 1 % row does
    expect(rowForShare(p, 0.0025).accept).toBeLessThanOrEqual(rowForShare(p, 0.01).accept);
    expect(rowForShare(p, 0.0025).accept).toBeGreaterThanOrEqual(rowForShare(p, 0).accept);
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

describe('novelty: the unknown-pass bound behind the accept guard', () => {
  // the unknown messages that pass, gathered in 3 of 30 intents (near-twins of known ones); the rest spread evenly
  function clustered(seed: number, foldClasses: number): NoveltySample[] {
    let u = 0;
    return samples(3000, 1500, seed).map((s) => (s.unknown ? { ...s, intent: s.passes ? u++ % 3 : 3 + (u++ % 27), knownClasses: foldClasses } : s));
  }

  it('counts intents, not messages, where most traffic is unknown (shares ≥ INTENT_LEVEL_FROM), and messages below', () => {
    const data = clustered(11, 20);
    const byMessage = fitNovelty(data, { targetPrecision: 0.97, knownClasses: 20, intentLevelFrom: 2 })!;
    const byIntent = fitNovelty(data, { targetPrecision: 0.97, knownClasses: 20, intentLevelFrom: 0 })!;
    const gated = fitNovelty(data, { targetPrecision: 0.97, knownClasses: 20 })!;
    for (let i = 0; i < byMessage.table.length; i++) expect(byIntent.table[i].accept).toBeGreaterThanOrEqual(byMessage.table[i].accept);
    expect(byIntent.table.some((r, i) => r.accept > byMessage.table[i].accept)).toBe(true);
    // the default takes the message-level rows below the cut-over share and the intent-level ones from it on
    for (let i = 0; i < gated.table.length; i++) {
      const want = gated.table[i].share >= INTENT_LEVEL_FROM ? byIntent.table[i] : byMessage.table[i];
      expect(gated.table[i]).toEqual(want);
    }
    expect(gated.table.some((r) => r.share >= INTENT_LEVEL_FROM && r.accept > rowForShare(byMessage, r.share).accept)).toBe(true);
  });

  it('scales the unknowns\' pass rate to the served model\'s number of intents: fold models that knew fewer intents give a stricter guard', () => {
    // the same messages, scored by fold models that knew all 30 intents or 15 of them
    const same = fitNovelty(clustered(13, 30), { targetPrecision: 0.97, knownClasses: 30, intentLevelFrom: 2 })!;
    const half = fitNovelty(clustered(13, 15), { targetPrecision: 0.97, knownClasses: 30, intentLevelFrom: 2 })!;
    for (let i = 0; i < same.table.length; i++) expect(half.table[i].accept).toBeGreaterThanOrEqual(same.table[i].accept);
    expect(half.table.some((r, i) => r.share > 0 && r.accept > same.table[i].accept)).toBe(true);
    // at share 0 no unknown is expected: the guard does not depend on them
    expect(half.table[0]).toEqual(same.table[0]);
  });
});
