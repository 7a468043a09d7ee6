import { describe, expect, it } from 'vitest';
import { IntentOpsError } from '../errors.js';
import { classificationReport, topConfusions } from './index.js';

const f1 = (r: ReturnType<typeof classificationReport>) => r.perLabel.map((l) => l.f1);

describe('classificationReport', () => {
  it('matches scikit-learn on a hand-computed 3-class example', () => {
    // yTrue = [0,0,0,0,0,1,1,1,2,2], yPred = [0,0,0,1,2,1,1,0,1,2]
    // confusion (rows true):     col sums (predicted): 4, 4, 2; supports: 5, 3, 2
    //   [3, 1, 1]
    //   [1, 2, 0]
    //   [0, 1, 1]
    // precision = 3/4, 2/4, 1/2     recall = 3/5, 2/3, 1/2
    // F1 = 2tp/(support+predicted) = 6/9 = 2/3, 4/7, 2/4 = 1/2
    // accuracy = 6/10
    // macro P = (3/4 + 1/2 + 1/2)/3 = 7/12;  macro R = (3/5 + 2/3 + 1/2)/3 = 53/90
    // macro F1 = (2/3 + 4/7 + 1/2)/3 = 73/126 (mean of F1s, not F1 of macro P/R = 0.58609)
    // weighted F1 = (5*2/3 + 3*4/7 + 2*1/2)/10 = 127/210
    const r = classificationReport([0, 0, 0, 0, 0, 1, 1, 1, 2, 2], [0, 0, 0, 1, 2, 1, 1, 0, 1, 2], ['billing', 'cancel', 'other']);
    expect(r.confusion).toEqual([
      [3, 1, 1],
      [1, 2, 0],
      [0, 1, 1],
    ]);
    expect(r.accuracy).toBeCloseTo(0.6, 12);
    expect(r.perLabel.map((l) => l.label)).toEqual(['billing', 'cancel', 'other']);
    expect(r.perLabel.map((l) => l.support)).toEqual([5, 3, 2]);
    const p = r.perLabel.map((l) => l.precision);
    const rc = r.perLabel.map((l) => l.recall);
    [3 / 4, 1 / 2, 1 / 2].forEach((v, i) => expect(p[i]).toBeCloseTo(v, 12));
    [3 / 5, 2 / 3, 1 / 2].forEach((v, i) => expect(rc[i]).toBeCloseTo(v, 12));
    [2 / 3, 4 / 7, 1 / 2].forEach((v, i) => expect(f1(r)[i]).toBeCloseTo(v, 12));
    expect(r.macroPrecision).toBeCloseTo(7 / 12, 12);
    expect(r.macroRecall).toBeCloseTo(53 / 90, 12);
    expect(r.macroF1).toBeCloseTo(73 / 126, 12); // 0.579365
    expect(r.weightedF1).toBeCloseTo(127 / 210, 12); // 0.604762
  });

  it('scores perfect predictions as 1 everywhere with a diagonal confusion matrix', () => {
    const r = classificationReport([0, 1, 2, 1], [0, 1, 2, 1], ['a', 'b', 'c']);
    expect(r.accuracy).toBe(1);
    expect([r.macroPrecision, r.macroRecall, r.macroF1, r.weightedF1]).toEqual([1, 1, 1, 1]);
    expect(r.confusion).toEqual([
      [1, 0, 0],
      [0, 2, 0],
      [0, 0, 1],
    ]);
  });

  it('scores all-wrong predictions as 0 everywhere', () => {
    const r = classificationReport([0, 1, 2], [1, 2, 0], ['a', 'b', 'c']);
    expect(r.accuracy).toBe(0);
    expect([r.macroPrecision, r.macroRecall, r.macroF1, r.weightedF1]).toEqual([0, 0, 0, 0]);
    expect(r.perLabel.every((l) => l.precision === 0 && l.recall === 0 && l.f1 === 0)).toBe(true);
  });

  it('gives precision 0 (zero_division=0) to a label that is never predicted', () => {
    // sklearn: f1_score([0,1],[0,0], average='macro') = (2/3 + 0)/2 = 1/3
    const r = classificationReport([0, 1], [0, 0], ['a', 'b']);
    expect(r.perLabel[1]).toEqual({ label: 'b', precision: 0, recall: 0, f1: 0, support: 1 });
    expect(r.perLabel[0].precision).toBe(0.5);
    expect(r.macroF1).toBeCloseTo(1 / 3, 12);
    expect(r.macroPrecision).toBeCloseTo(1 / 4, 12);
  });

  it('averages over labels seen in yTrue or yPred, not over every listed label', () => {
    // labels a,b,c,d; yTrue = [0,0,1,1], yPred = [0,1,1,2]. c is predicted but never true,
    // d occurs nowhere. Union = {a,b,c}:
    //   a: P 1/1, R 1/2, F1 2/3;  b: P 1/2, R 1/2, F1 1/2;  c: P 0/1, R 0/0 -> 0, F1 0
    //   macro F1 = (2/3 + 1/2 + 0)/3 = 7/18 (sklearn default); over all four it would be 7/24
    //   macro P = 1/2, macro R = 1/3, weighted F1 = (2*2/3 + 2*1/2)/4 = 7/12
    const r = classificationReport([0, 0, 1, 1], [0, 1, 1, 2], ['a', 'b', 'c', 'd']);
    expect(r.macroF1).toBeCloseTo(7 / 18, 12);
    expect(r.macroPrecision).toBeCloseTo(1 / 2, 12);
    expect(r.macroRecall).toBeCloseTo(1 / 3, 12);
    expect(r.weightedF1).toBeCloseTo(7 / 12, 12);
    expect(r.perLabel[2]).toEqual({ label: 'c', precision: 0, recall: 0, f1: 0, support: 0 });
    expect(r.perLabel[3]).toEqual({ label: 'd', precision: 0, recall: 0, f1: 0, support: 0 });
    expect(r.confusion).toHaveLength(4);
    expect(r.confusion[3]).toEqual([0, 0, 0, 0]);
  });

  it('accepts typed arrays', () => {
    const r = classificationReport(Int32Array.from([0, 1, 1]), Uint8Array.from([0, 1, 0]), ['a', 'b']);
    expect(r.accuracy).toBeCloseTo(2 / 3, 12);
  });

  it('rejects misaligned, empty and out-of-range input', () => {
    expect(() => classificationReport([0, 1], [0], ['a', 'b'])).toThrow(IntentOpsError);
    expect(() => classificationReport([], [], ['a'])).toThrow(/empty/);
    expect(() => classificationReport([0, 2], [0, 1], ['a', 'b'])).toThrow(/label id 2/);
    expect(() => classificationReport([0, 1], [0, 0.5], ['a', 'b'])).toThrow(/label id 0.5/);
    expect(() => classificationReport([0], [0], [])).toThrow(IntentOpsError);
    try {
      classificationReport([0, 1], [0, -1], ['a', 'b']);
      expect.unreachable();
    } catch (e) {
      expect((e as IntentOpsError).code).toBe('invalid_input');
      expect((e as IntentOpsError).where).toBe('classificationReport(yPred)[1]');
    }
  });
});

describe('topConfusions', () => {
  const labels = ['a', 'b', 'c'];
  const m = [
    [5, 3, 0],
    [1, 4, 3],
    [2, 0, 6],
  ];

  it('lists off-diagonal cells by count, ties in row-major order, skipping zeros', () => {
    expect(topConfusions(m, labels, 10)).toEqual([
      { trueLabel: 'a', predicted: 'b', count: 3 },
      { trueLabel: 'b', predicted: 'c', count: 3 },
      { trueLabel: 'c', predicted: 'a', count: 2 },
      { trueLabel: 'b', predicted: 'a', count: 1 },
    ]);
    expect(topConfusions(m, labels, 2).map((c) => c.count)).toEqual([3, 3]);
    expect(topConfusions(m, labels, 0)).toEqual([]);
  });

  it('is empty for a perfect classifier and works on a report', () => {
    expect(topConfusions(classificationReport([0, 1], [0, 1], ['a', 'b']).confusion, ['a', 'b'], 5)).toEqual([]);
  });

  it('rejects a matrix that does not match the labels', () => {
    expect(() => topConfusions(m, ['a', 'b'], 1)).toThrow(/3 x 3|2 x 2/);
    expect(() => topConfusions(m, labels, -1)).toThrow(IntentOpsError);
  });
});
