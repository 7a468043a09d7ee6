import { describe, expect, it } from 'vitest';
import { NearDuplicateIndex } from './near.js';

const v = (...xs: number[]) => Float32Array.from(xs);

describe('NearDuplicateIndex', () => {
  it('finds the closest held item at or above the threshold, by cosine (scale does not matter)', () => {
    const near = new NearDuplicateIndex(3, { minSimilarity: 0.9, capacity: 10 });
    expect(near.nearest(v(1, 0, 0))).toBeUndefined();
    near.add('a', 'card lost', v(1, 0.1, 0));
    near.add('b', 'refund', v(0, 1, 0));
    const hit = near.nearest(v(10, 0, 0))!;
    expect(hit).toMatchObject({ id: 'a', text: 'card lost' });
    expect(hit.similarity).toBeCloseTo(1 / Math.sqrt(1.01), 5);
    expect(near.nearest(v(1, 1, 0))).toBeUndefined(); // 0.70 to both
    expect(near.nearest(v(0, 0, 1))).toBeUndefined();
    expect(near.nearest(v(1, 0))).toBeUndefined(); // another embedder's vector
  });

  it('forgets removed items (the last row moves into the gap) and ignores a second add of an id', () => {
    const near = new NearDuplicateIndex(2, { minSimilarity: 0.99, capacity: 10 });
    near.add('a', 'A', v(1, 0));
    near.add('b', 'B', v(0, 1));
    near.add('c', 'C', v(-1, 0));
    near.add('a', 'A2', v(0, -1));
    near.remove('a');
    near.remove('zzz');
    expect(near.size).toBe(2);
    expect(near.nearest(v(1, 0))).toBeUndefined();
    expect(near.nearest(v(-1, 0))?.id).toBe('c');
    expect(near.nearest(v(0, 1))?.id).toBe('b');
    expect(near.has('a')).toBe(false);
  });

  it('holds at most capacity items, dropping the oldest first, and grows its storage as it fills', () => {
    const near = new NearDuplicateIndex(2, { minSimilarity: 0.999, capacity: 300 });
    for (let i = 0; i < 400; i++) near.add(`x${i}`, '', v(Math.cos(i / 100), Math.sin(i / 100)));
    expect(near.size).toBe(300);
    expect(near.has('x99')).toBe(false);
    expect(near.has('x100')).toBe(true);
    expect(near.nearest(v(Math.cos(3.5), Math.sin(3.5)))?.id).toBe('x350');
    expect(() => new NearDuplicateIndex(2, { minSimilarity: 0.9, capacity: 0 })).toThrow(/capacity/);
  });
});
