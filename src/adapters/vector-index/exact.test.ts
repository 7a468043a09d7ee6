import { describe, expect, it } from 'vitest';
import { IntentOpsError } from '../../core/errors.js';
import { exactIndex } from './exact.js';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as IntentOpsError).code;
  }
  return 'no error';
};

describe('exact index', () => {
  it('writes the documented layout: "IOVX", version, dim, n, crc, vectors, labels', () => {
    const index = exactIndex.create(3);
    index.add([new Float32Array([1, 0, 0]), new Float32Array([0, 2, 0])], [7, -1]);
    const bytes = index.toBytes();
    expect(bytes.length).toBe(20 + 2 * 3 * 4 + 2 * 4);
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    expect(String.fromCharCode(...bytes.subarray(0, 4))).toBe('IOVX');
    expect([1, 2, 3].map((i) => view.getUint32(4 * i, true))).toEqual([1, 3, 2]);
    expect(Array.from(new Float32Array(bytes.slice(20, 44).buffer))).toEqual([1, 0, 0, 0, 1, 0]); // stored normalised
    expect(Array.from(new Int32Array(bytes.slice(44).buffer))).toEqual([7, -1]);
  });

  it('grows from zero capacity one row at a time', () => {
    const index = exactIndex.create(2, { capacity: 0 });
    for (let i = 0; i < 100; i++) index.add([new Float32Array([Math.cos(i), Math.sin(i)])], [i]);
    expect(index.size).toBe(100);
    expect(index.search(new Float32Array([Math.cos(42), Math.sin(42)]), 1)[0].label).toBe(42);
  });

  it('breaks score ties by lower id', () => {
    const index = exactIndex.create(2);
    const v = new Float32Array([1, 1]);
    index.add([v, new Float32Array([1, 0]), v, v], [0, 1, 2, 3]);
    expect(index.search(v, 3).map((r) => r.id)).toEqual([0, 2, 3]);
  });

  it('rejects bad options with invalid_config', () => {
    expect(code(() => exactIndex.create(4, { capacity: -1 }))).toBe('invalid_config');
    expect(code(() => exactIndex.create(4, { capacity: 'big' }))).toBe('invalid_config');
  });
});
