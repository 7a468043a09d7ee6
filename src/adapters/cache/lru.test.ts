import { describe, expect, it } from 'vitest';
import { rejection } from '../../../test/helpers/sample.js';
import { caches, openCache } from './index.js';
import { createLruCache } from './lru.js';

describe('LRU cache', () => {
  it('expires entries by the injected clock', async () => {
    let t = 1_000;
    const c = createLruCache<string>({ now: () => t });
    await c.set('a', 'x', 100);
    t += 100;
    expect(await c.get('a')).toBe('x');
    t += 1;
    expect(await c.get('a')).toBeUndefined();
  });

  it('evicts the least recently used entry beyond max', async () => {
    const c = createLruCache<number>({ max: 2 });
    await c.set('a', 1, 60_000);
    await c.set('b', 2, 60_000);
    await c.get('a');
    await c.set('c', 3, 60_000);
    expect([await c.get('a'), await c.get('b'), await c.get('c')]).toEqual([1, undefined, 3]);
  });

  it('memory:?max=N sets the limit through openCache', async () => {
    const c = await openCache<number>('memory:?max=1');
    await c.set('a', 1, 60_000);
    await c.set('b', 2, 60_000);
    expect(await c.get('a')).toBeUndefined();
    expect(await c.get('b')).toBe(2);
  });
});

describe('openCache: backends by URI scheme', () => {
  it('is a frozen table of memory, redis and rediss', () => {
    expect(Object.isFrozen(caches)).toBe(true);
    expect(Object.keys(caches)).toEqual(['memory', 'redis', 'rediss']);
  });

  it('fails with invalid_config listing the valid forms', async () => {
    const err = await rejection(openCache('memcached://h:11211'));
    expect(err.code).toBe('invalid_config');
    expect(err.message).toMatch(/unknown scheme "memcached".*valid: memory, memory:\?max=N, redis:\/\//);
    expect((await rejection(openCache('memory:?max=0'))).message).toMatch(/max must be a positive integer/);
    expect((await rejection(openCache('memory:?size=5'))).message).toMatch(/unknown parameter "size"; valid: max/);
    expect((await rejection(openCache('memory:big'))).code).toBe('invalid_config');
  });
});
