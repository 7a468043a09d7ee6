import { describe, expect, it } from 'vitest';
import { IntentOpsError } from '../../core/errors.js';
import { hnswIndex, makeHnswFactory } from './hnsw.js';

const caught = (fn: () => unknown): IntentOpsError => {
  try {
    fn();
  } catch (e) {
    return e as IntentOpsError;
  }
  throw new Error('expected an error');
};

describe('hnsw index', () => {
  const missing = makeHnswFactory(() => {
    throw new Error("Cannot find module 'hnswlib-node'");
  });

  it('reports a missing native module as unavailable, with an install hint', () => {
    const err = caught(() => missing.create(8));
    expect(err).toBeInstanceOf(IntentOpsError);
    expect(err.code).toBe('unavailable');
    expect(err.hint).toContain('npm install hnswlib-node');
    expect((err.cause as Error).message).toContain('Cannot find module');
  });

  it('still tells corrupt bytes apart from a missing module', () => {
    const good = hnswIndex.create(4);
    good.add([new Float32Array([1, 0, 0, 0])], [3]);
    const bytes = good.toBytes();
    expect(caught(() => missing.fromBytes(bytes)).code).toBe('unavailable');
    expect(caught(() => missing.fromBytes(bytes.subarray(0, 30))).code).toBe('corrupt');
  });

  it('persists its parameters and search results', () => {
    const index = hnswIndex.create(4, { M: 8, efConstruction: 50, efSearch: 20, seed: 5 });
    index.add([new Float32Array([1, 0, 0, 0]), new Float32Array([0, 1, 0, 0])], [3, 4]);
    const bytes = index.toBytes();
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    expect(String.fromCharCode(...bytes.subarray(0, 4))).toBe('IOVH');
    expect([1, 2, 3, 4, 5, 6, 7].map((i) => view.getUint32(4 * i, true))).toEqual([1, 4, 2, 8, 50, 20, 5]);
    expect(hnswIndex.fromBytes(bytes).search(new Float32Array([0, 1, 0, 0]), 1)).toEqual([{ id: 1, label: 4, score: 1 }]);
  });

  it('rejects bad options with invalid_config', () => {
    expect(caught(() => hnswIndex.create(4, { M: 1 })).code).toBe('invalid_config');
    expect(caught(() => hnswIndex.create(4, { efSearch: 0 })).code).toBe('invalid_config');
    expect(caught(() => hnswIndex.create(4, { seed: 1.5 })).code).toBe('invalid_config');
  });
});
