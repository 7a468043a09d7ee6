import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../../test/helpers/sample.js';
import { parseVariant } from '../../adapters/llm/variant.js';
import { canonicalVariant } from './llm-registry.js';

describe('canonicalVariant', () => {
  it('writes a self-contained file with the same settings, template and so the same version hash', async () => {
    const prompt = join(ROOT, 'prompts', 'classify-v1.md');
    const v = await parseVariant(`name: mini\nprovider: openai\nmodel: gpt-4o-mini\nmaxTokens: 32\nprice: { inputPer1M: 0.15, outputPer1M: 0.6 }\npromptFile: ${prompt}\n`, join(ROOT, 'v.yaml'), async (p) => readFileSync(p, 'utf8'));
    const text = canonicalVariant(v);
    expect(text).not.toMatch(/promptFile/);
    const again = await parseVariant(text, 'stored/variant.md');
    expect(again.hash).toBe(v.hash);
    expect(again.name).toBe('mini');
    expect(again.settings).toEqual(v.settings);
  });
});
