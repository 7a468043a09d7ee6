import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { IntentOpsError } from '../../core/errors.js';
import { chooseIndexKind, EXACT_INDEX_MAX_ITEMS, exactIndex, getVectorIndexFactory, hnswIndex, vectorIndexes } from './index.js';

const nativeLoaded = () => Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('hnswlib-node'));

describe('vector index table', () => {
  // Must run first in this file: nothing above has created an HNSW index yet.
  it('does not load the native module until an HNSW index is made', () => {
    expect(nativeLoaded()).toBe(false);
    exactIndex.create(4).search(new Float32Array(4), 1);
    expect(nativeLoaded()).toBe(false);
    hnswIndex.create(4);
    expect(nativeLoaded()).toBe(true);
  });

  it('is a frozen table of the known backends', () => {
    expect(Object.isFrozen(vectorIndexes)).toBe(true);
    expect(Object.keys(vectorIndexes)).toEqual(['exact', 'hnsw']);
    expect(getVectorIndexFactory('exact')).toBe(exactIndex);
    expect(getVectorIndexFactory('hnsw')).toBe(hnswIndex);
  });

  it('rejects an unknown name, listing the valid ones', () => {
    for (const name of ['faiss', 'toString', '__proto__', '']) {
      let err: unknown;
      try {
        getVectorIndexFactory(name);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(IntentOpsError);
      expect((err as IntentOpsError).code).toBe('invalid_config');
      expect((err as IntentOpsError).message).toContain('exact, hnsw');
    }
  });

  it('chooses exact below the threshold and hnsw from it on', () => {
    expect(EXACT_INDEX_MAX_ITEMS).toBe(20_000);
    expect(chooseIndexKind(0)).toBe('exact');
    expect(chooseIndexKind(19_999)).toBe('exact');
    expect(chooseIndexKind(20_000)).toBe('hnsw');
    expect(chooseIndexKind(500, 100)).toBe('hnsw');
  });
});
