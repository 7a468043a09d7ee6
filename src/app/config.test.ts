import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, maskSecrets } from './config.js';
import { tempDir } from '../../test/helpers/sample.js';

describe('configuration', () => {
  it('has offline defaults', () => {
    const c = loadConfig({ env: {} });
    expect(c).toMatchObject({ embedder: 'hashed', index: 'auto', seed: 42, targetPrecision: 0.97 });
  });

  it('applies flags over env over file over defaults', () => {
    const dir = tempDir();
    const file = join(dir, 'intentops.yaml');
    writeFileSync(file, 'seed: 1\nembedder: onnx\ntargetPrecision: 0.9\n');
    const c = loadConfig({ file, env: { INTENTOPS_SEED: '2', INTENTOPS_EMBEDDER: 'hashed' }, flags: { seed: 3 } });
    expect(c.seed).toBe(3);
    expect(c.embedder).toBe('hashed');
    expect(c.targetPrecision).toBe(0.9);
  });

  it('names the file line of a bad value, or the env variable', () => {
    const dir = tempDir();
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'embedder: hashed\n\ntargetPrecision: 2\n');
    expect(() => loadConfig({ file, env: {} })).toThrow(expect.objectContaining({ where: `${file}:3 (targetPrecision)` }));
    writeFileSync(file, 'seed: [\n');
    expect(() => loadConfig({ file, env: {} })).toThrow(expect.objectContaining({ code: 'invalid_config' }));
    expect(() => loadConfig({ env: { INTENTOPS_SEED: 'x' } })).toThrow(expect.objectContaining({ where: 'env INTENTOPS_SEED (seed)' }));
    expect(() => loadConfig({ file: join(dir, 'missing.yaml'), env: {} })).toThrow(/does not exist/);
  });

  it('masks secrets when printed', () => {
    expect(maskSecrets({ openai: { apiKey: 'sk-abcdef', model: 'm' } })).toEqual({ openai: { apiKey: 'sk-…(9 chars)', model: 'm' } });
  });
});
