import { describe, expect, it } from 'vitest';
import { IntentOpsError } from '../errors.js';
import { stratifiedSplit } from './split.js';

/** counts: label -> number of examples, interleaved so order preservation is observable. */
function dataset(counts: Record<string, number>) {
  const out: { text: string; label: string }[] = [];
  const max = Math.max(...Object.values(counts));
  for (let i = 0; i < max; i++) {
    for (const [label, n] of Object.entries(counts)) if (i < n) out.push({ text: `${label} ${i}`, label });
  }
  return out;
}
const countBy = (xs: { label: string }[]) =>
  Object.fromEntries([...new Set(xs.map((x) => x.label))].sort().map((l) => [l, xs.filter((x) => x.label === l).length]));

describe('stratifiedSplit', () => {
  const data = dataset({ big: 40, mid: 15, small: 3, pair: 2, single: 1 });

  it('holds out round(n * valFraction), at least 1, never the last one, per label', () => {
    const { train, val } = stratifiedSplit(data, { valFraction: 0.1, seed: 1 });
    expect(countBy(val)).toEqual({ big: 4, mid: 2, pair: 1, small: 1 });
    expect(countBy(train)).toEqual({ big: 36, mid: 13, pair: 1, single: 1, small: 2 });
    expect(train.length + val.length).toBe(data.length);
  });

  it('defaults valFraction to 0.1 and keeps every example exactly once, in input order', () => {
    const { train, val } = stratifiedSplit(data, { seed: 3 });
    expect(val).toHaveLength(8);
    const order = (xs: typeof data) => xs.map((x) => data.indexOf(x));
    for (const part of [train, val]) expect(order(part)).toEqual([...order(part)].sort((a, b) => a - b));
    expect(new Set([...train, ...val]).size).toBe(data.length);
  });

  it('caps the held-out share so a label keeps one training example', () => {
    const { train, val } = stratifiedSplit(dataset({ a: 2, b: 3 }), { valFraction: 0.9, seed: 5 });
    expect(countBy(val)).toEqual({ a: 1, b: 2 });
    expect(countBy(train)).toEqual({ a: 1, b: 1 });
  });

  it('is deterministic for a seed and changes with the seed', () => {
    const texts = (seed: number) => stratifiedSplit(data, { valFraction: 0.2, seed }).val.map((x) => x.text);
    expect(texts(42)).toEqual(texts(42));
    expect(texts(42)).not.toEqual(texts(43));
    // 0.2 of each label: big 8, mid 3, small 1, pair 1 (at least one), single 0; listed in input order.
    expect(texts(42)).toEqual([
      'pair 0', 'small 1', 'big 3', 'mid 10', 'big 11', 'mid 11', 'mid 12',
      'big 13', 'big 15', 'big 26', 'big 28', 'big 31', 'big 36',
    ]);
  });

  it('does not depend on the order in which labels first appear', () => {
    const reversedLabels = dataset({ single: 1, pair: 2, small: 3, mid: 15, big: 40 });
    const val = (xs: typeof data) => stratifiedSplit(xs, { seed: 9 }).val.map((x) => x.text).sort();
    expect(val(reversedLabels)).toEqual(val(data));
  });

  it.each([0, 1, -0.1, Number.NaN])('rejects valFraction %s', (valFraction) => {
    expect(() => stratifiedSplit(data, { valFraction, seed: 1 })).toThrow(IntentOpsError);
  });

  it('rejects a non-integer seed', () => {
    expect(() => stratifiedSplit(data, { seed: 1.5 })).toThrow('seed must be an integer, got 1.5');
  });
});
