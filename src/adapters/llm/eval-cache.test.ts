import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/sample.js';
import { openLlmResponseCache } from './eval-cache.js';

const answer = (i: number) => ({ kind: 'answer' as const, intent: `i${i}`, promptTokens: i, completionTokens: 1, costUsd: 0, latencyMs: 1 });

describe('LLM eval response cache', () => {
  it('keeps answers across reopenings and stays bounded, dropping the oldest first', async () => {
    const dir = join(tempDir('intentops-llm-cache-'), 'cache');
    const c = await openLlmResponseCache(dir, 10);
    for (let i = 0; i < 25; i++) c.set(`k${i}`, 'v1', answer(i));
    expect(c.size).toBeLessThanOrEqual(11);
    expect(c.get('k0')).toBeUndefined();
    expect(c.get('k24')).toEqual(answer(24));
    await c.close();
    const again = await openLlmResponseCache(dir, 10);
    expect(again.size).toBe(10);
    expect(again.get('k15')).toEqual(answer(15));
    expect(again.get('k14')).toBeUndefined();
    again.set('k25', 'v1', { kind: 'invalid', promptTokens: 3, completionTokens: 2, costUsd: 0, latencyMs: 5 });
    expect(again.get('k25')).toMatchObject({ kind: 'invalid' });
    await again.close();
  });
});
